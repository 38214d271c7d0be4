//! The staff screens' words (staff menu, refunds, X/Z report, batch corrections) in Norwegian
//! Bokmål and English. Kept beside [`crate::tui::strings`] in the same shape.

use crate::domain::money::Money;
use crate::lang::{Lang, Text};

macro_rules! strings {
    ($($name:ident => $nb:literal, $en:literal;)*) => {
        /// Fixed staff-screen strings; `St::name(lang)`.
        pub struct St;
        impl St {
            $(
                pub const fn $name(lang: Lang) -> &'static str {
                    lang.pick($nb, $en)
                }
            )*
        }
    };
}

strings! {
    screen_staff => "Personale", "Staff";
    screen_refund => "Refusjon", "Refund";
    screen_report => "Rapport", "Report";
    screen_batch => "Samlekorrigering", "Batch correction";
    menu_title => "Personale – velg med tallet, eller ↑/↓ og Enter", "Staff – choose by number, or ↑/↓ and Enter";
    menu_refund => "Refunder et salg", "Refund a sale";
    menu_x => "X-rapport (dagens tall, avslutter ingenting)", "X report (today's figures, closes nothing)";
    menu_z => "Z-rapport (avslutt dagen)", "Z report (close the day)";
    menu_batch => "Trekk alle godkjente, ikke trukne betalinger i dag", "Capture all authorized, uncaptured payments of today";
    menu_manager => "leder-PIN", "manager PIN";
    menu_float => "Vekselbeholdning (kontanter i skuffen ved start)", "Opening float (cash in the drawer at the start)";
    menu_withdrawal => "Uttak av kontanter fra skuffen", "Withdraw cash from the drawer";
    menu_deposit => "Innskudd av kontanter i skuffen", "Deposit cash into the drawer";
    screen_cash => "Kontanter", "Cash";
    cash_float_title => "Vekselbeholdning", "Opening float";
    cash_withdrawal_title => "Uttak", "Withdrawal";
    cash_deposit_title => "Innskudd", "Deposit";
    cash_count_title => "Tell opp kassen før Z-rapporten", "Count the drawer before the Z report";
    cash_amount => "Beløp i kroner", "Amount in kroner";
    cash_counted => "Opptalt kontant i kroner", "Cash counted, in kroner";
    cash_reason => "Årsak (påkrevd)", "Reason (required)";
    cash_float_hint => "Kontantene i skuffen når perioden starter. Enter: din PIN (alle ansatte), så åpnes skuffen.", "The cash in the drawer as the period starts. Enter: your PIN (any staff), then the drawer opens.";
    cash_move_hint => "Tab bytt felt · Enter: leder-PIN, så åpnes skuffen · Esc tilbake", "Tab switch field · Enter: manager PIN, then the drawer opens · Esc back";
    cash_count_hint => "Tell sedler og mynter og skriv summen. Z-rapporten viser forventet, opptalt og differanse. Tomt felt + Enter: Z uten opptelling.", "Count the notes and coins and type the total. The Z report shows expected, counted and the difference. Empty line + Enter: Z without a count.";
    cash_sending => "Registreres…", "Recording…";
    cash_done => "Registrert og signert. Enter: tilbake til menyen.", "Recorded and signed. Enter: back to the menu.";
    cash_nr => "Nr. i journalen", "No. in the journal";
    prompt_manager_cash => "Leder-PIN for kontanter", "Manager PIN for the cash movement";
    prompt_float_pin => "Din PIN for vekselbeholdningen", "Your PIN for the opening float";
    search_label => "Søk: referanse, kvittering, beløp (49,90), tid (14:30) eller tlf (siste 4)", "Search: reference, receipt, amount (49.90), time (14:30) or phone (last 4)";
    search_hint => "Skriv og trykk Enter for å søke. Tomt felt + Enter: velg markert salg.", "Type and press Enter to search. Empty line + Enter: pick the marked sale.";
    search_none => "Ingen salg passer søket.", "No sale matches the search.";
    searching => "Søker…", "Searching…";
    loading_sale => "Henter salget…", "Loading the sale…";
    col_receipt => "Kvittering", "Receipt";
    col_time => "Tid", "Time";
    col_amount => "Beløp", "Amount";
    col_status => "Status", "Status";
    col_reference => "Referanse", "Reference";
    col_phone => "Tlf", "Phone";
    col_refund => "Refunder", "Refund";
    col_refunded => "Refundert", "Refunded";
    sale_lines => "Varelinjer", "Sale lines";
    captured => "Trukket", "Captured";
    refunded => "Allerede refundert", "Already refunded";
    refundable => "Kan refunderes", "Refundable";
    kind_full => "Hele beløpet", "Full amount";
    kind_amount => "Beløp", "Amount";
    kind_lines => "Per linje", "Per line";
    field_amount => "Beløp som skal refunderes", "Amount to refund";
    field_qty => "Antall som refunderes på markert linje", "Quantity to refund on the marked line";
    field_reason => "Årsak (påkrevd)", "Reason (required)";
    form_hint => "F2 hele · F3 beløp · F4 per linje · Tab bytt felt · Enter se over", "F2 full · F3 amount · F4 per line · Tab switch field · Enter review";
    confirm_title => "Bekreft refusjonen", "Confirm the refund";
    confirm_hint => "Enter: bekreft med leder-PIN · Esc: tilbake og endre", "Enter: confirm with manager PIN · Esc: back to change";
    to_refund => "Refunderes", "To refund";
    reason => "Årsak", "Reason";
    sending => "Refusjonen registreres og sendes til Vipps…", "Recording the refund and sending it to Vipps…";
    queued_wait => "Lagt i køen med egen nøkkel – venter på svar fra Vipps…", "Queued with its own key – waiting for Vipps to answer…";
    result_refunded => "REFUNDERT", "REFUNDED";
    result_pending => "I KØ – sendes når Vipps svarer", "QUEUED – sent when Vipps answers";
    result_pending_detail => "Refusjonen er lagret og sendes automatisk med samme nøkkel (ingen dobbel refusjon). Kvitteringen skrives når Vipps har bekreftet.", "The refund is stored and sent automatically with the same key (never twice). The receipt prints once Vipps confirms.";
    result_failed => "FEILET", "FAILED";
    result_refused => "IKKE REFUNDERT", "NOT REFUNDED";
    receipt_printed => "Refusjonskvittering skrevet ut.", "Refund receipt printed.";
    receipt_none => "Ingen skriver satt opp – ingen papirkvittering.", "No printer configured – no paper receipt.";
    back_to_menu => "Enter / Esc: tilbake til personalmenyen", "Enter / Esc: back to the staff menu";
    x_title => "X-rapport", "X report";
    z_title => "Z-rapport", "Z report";
    report_loading => "Lager rapporten…", "Making the report…";
    checking_vipps => "Kontrollerer mot Vipps…", "Checking with Vipps…";
    z_closing => "Avslutter dagen (Z)…", "Closing the day (Z)…";
    z_refused => "Z-rapporten ble ikke tatt", "The Z report was not taken";
    z_ack_offer => "F8: kvitter ut feilede oppdrag (leder-PIN) · Enter: prøv Z igjen · Esc: tilbake", "F8: acknowledge failed rows (manager PIN) · Enter: try the Z again · Esc: back";
    z_wait_offer => "Oppdrag som ikke er sendt går når Vipps svarer. Enter: prøv Z igjen · Esc: tilbake", "Unsent rows go when Vipps answers. Enter: try the Z again · Esc: back";
    batch_title => "Godkjent, men ikke trukket i dag", "Authorized but not captured today";
    batch_loading => "Henter dagens betalinger…", "Loading today's payments…";
    batch_none => "Ingen godkjente betalinger venter på trekk i dag.", "No authorized payments are waiting for capture today.";
    batch_hint => "Enter: trekk alle (leder-PIN) · Esc: tilbake", "Enter: capture all (manager PIN) · Esc: back";
    batch_running => "Trekker – innenfor Vipps' grenser (5 per betaling per minutt)…", "Capturing – within Vipps' limits (5 per payment per minute)…";
    batch_done => "Ferdig", "Done";
    progress => "Fremdrift", "Progress";
    ok_word => "ok", "ok";
    failed_word => "feilet", "failed";
    pending_word => "i kø", "queued";
    training_section => "ØVING (holdes utenfor)", "TRAINING (kept apart)";
    err_needs_manager => "Dette krever en leder. Opprett den første lederen med `kasse create-manager`, og start kassen på nytt.", "This needs a manager. Create the first manager with `kasse create-manager` and restart the till.";
    err_reason_missing => "Årsak: skriv hvorfor det refunderes (1–200 tegn), f.eks. «varen var skadet».", "Reason: say why you refund (1–200 characters), e.g. \"item was damaged\".";
    err_no_sale_picked => "Velg et salg i listen først (↑/↓ og Enter med tomt felt).", "Pick a sale in the list first (↑/↓ and Enter on an empty line).";
    err_not_lines => "Trykk F4 (per linje) for å velge linjer.", "Press F4 (per line) to choose lines.";
    err_batch_empty => "Ingen betalinger å trekke.", "No payments to capture.";
    err_busy => "Vent – forrige handling pågår fortsatt.", "Wait – the previous action is still running.";
    err_reprint_not_confirmed => "Ingen refusjonskvittering ennå: den skrives ut av seg selv når Vipps bekrefter refusjonen.", "No refund receipt yet: it prints by itself when Vipps confirms the refund.";
    err_reprint_no_refund => "Denne refusjonen har ingen kvittering å skrive ut igjen.", "This refund has no receipt to print again.";
    err_print_no_report => "Ingen rapport å skrive ut ennå.", "No report to print yet.";
    printing_report => "Skriver ut rapporten…", "Printing the report…";
    printing_copy => "Skriver ut en kopi…", "Printing a copy…";
    prompt_manager_refund => "Leder-PIN for å refundere", "Manager PIN to refund";
    prompt_manager_z => "Leder-PIN for Z-rapport", "Manager PIN for the Z report";
    prompt_manager_batch => "Leder-PIN for samlekorrigering", "Manager PIN for the batch correction";
    prompt_manager_ack => "Leder-PIN for å kvittere ut", "Manager PIN to acknowledge";
}

/// "Z no. 12 taken for 2026-11-21."
pub fn z_done(lang: Lang, number: i64, date: &str) -> String {
    match lang {
        Lang::Nb => format!("Z nr. {number} er tatt {date}. Neste periode er åpnet."),
        Lang::En => format!("Z no. {number} taken on {date}. The next period is open."),
    }
}

/// How many outbox rows block the Z report.
pub fn z_blocking(lang: Lang, unresolved: i64, dead: i64) -> String {
    match lang {
        Lang::Nb => format!(
            "{unresolved} oppdrag blokkerer: {} ikke sendt, {dead} feilet uten utkvittering.",
            unresolved - dead
        ),
        Lang::En => format!(
            "{unresolved} rows block it: {} not sent yet, {dead} failed and not acknowledged.",
            unresolved - dead
        ),
    }
}

/// After acknowledging failed rows.
pub fn acknowledged(n: usize, still: i64) -> Text {
    Text::new(
        format!("{n} feilede oppdrag kvittert ut. {still} blokkerer fortsatt Z-rapporten."),
        format!("{n} failed rows acknowledged. {still} still block the Z report."),
    )
}

/// "Refunded 49,90 kr (R-s1-t1-000001-1)".
pub fn refunded_amount(lang: Lang, amount: Money, number: &str) -> String {
    match lang {
        Lang::Nb => format!("{amount} tilbakebetalt til kunden ({number})."),
        Lang::En => format!("{amount} paid back to the customer ({number})."),
    }
}

/// A refund by amount, spread over the sale's VAT rates: one share per rate.
pub fn vat_share(lang: Lang, rate: &str) -> String {
    match lang {
        Lang::Nb => format!("Andel med {rate} mva"),
        Lang::En => format!("Share at {rate} VAT"),
    }
}

/// The result of a refund that finished while the cashier was on another screen.
pub fn refund_note(p: &crate::tui::msg::StaffRefundProgress) -> (crate::tui::app::ToastKind, Text) {
    use crate::tui::app::ToastKind;
    use crate::tui::msg::StaffRefundProgress as P;
    match p {
        P::Refunded {
            amount,
            refund_number,
            ..
        } => (
            ToastKind::Info,
            Text::new(
                format!("Refusjon {refund_number}: {amount} tilbakebetalt."),
                format!("Refund {refund_number}: {amount} paid back."),
            ),
        ),
        P::Pending {
            amount,
            refund_number,
        } => (
            ToastKind::Info,
            Text::new(
                format!(
                    "Refusjon {refund_number} ({amount}) ligger i køen og sendes når Vipps svarer."
                ),
                format!("Refund {refund_number} ({amount}) is queued and goes when Vipps answers."),
            ),
        ),
        P::Failed { reason } | P::Refused { reason } => (
            ToastKind::Error,
            Text::new(
                format!("Refusjonen feilet: {}", reason.nb),
                format!("The refund failed: {}", reason.en),
            ),
        ),
        P::Queued { amount, .. } => (
            ToastKind::Info,
            Text::new(
                format!("Refusjon på {amount} er i køen."),
                format!("Refund of {amount} is queued."),
            ),
        ),
    }
}

/// "3 of 5".
pub fn done_of(lang: Lang, done: usize, total: usize) -> String {
    match lang {
        Lang::Nb => format!("{done} av {total}"),
        Lang::En => format!("{done} of {total}"),
    }
}

/// The search line could not be understood.
pub fn bad_search(input: &str) -> Text {
    Text::new(
        format!(
            "Søk: «{input}» – skriv en referanse (f.eks. 000123), et beløp med komma (49,90), en tid (14:30) eller de siste 1–4 sifrene i telefonnummeret."
        ),
        format!(
            "Search: \"{input}\" – type a reference (e.g. 000123), an amount with decimals (49.90), a time (14:30) or the last 1–4 digits of the phone number."
        ),
    )
}

/// A line quantity that is not a number.
pub fn bad_line_qty(line: i64, input: &str) -> Text {
    Text::new(
        format!("Linje {line}: «{input}» er ikke et antall. Skriv f.eks. 1 eller 0,5."),
        format!("Line {line}: \"{input}\" is not a quantity. Type e.g. 1 or 0.5."),
    )
}

/// An amount that is not an amount.
pub fn bad_amount(input: &str) -> Text {
    Text::new(
        format!("Beløp: «{input}» er ikke et beløp. Skriv f.eks. 49,90."),
        format!("Amount: \"{input}\" is not an amount. Type e.g. 49.90."),
    )
}
