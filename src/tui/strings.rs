//! Every word the screen shows, in Norwegian Bokmål and English, in one place so wording is
//! reviewable together. Messages with values are functions returning [`Text`].

use crate::domain::money::Money;
use crate::lang::{Lang, Text};

macro_rules! strings {
    ($($name:ident => $nb:literal, $en:literal;)*) => {
        /// Fixed UI strings; `S::name(lang)`.
        pub struct S;
        impl S {
            $(
                pub const fn $name(lang: Lang) -> &'static str {
                    lang.pick($nb, $en)
                }
            )*
        }
    };
}

strings! {
    app_title => "kasse", "kasse";
    screen_sale => "Salg", "Sale";
    screen_payment => "Betaling", "Payment";
    screen_paying => "Venter på betaling", "Waiting for payment";
    screen_result => "Resultat", "Result";
    training_banner => "ØVINGSMODUS – ingen ekte betalinger", "TRAINING MODE – no real payments";
    training_short => "ØVING", "TRAINING";
    kiosk_banner => "Selvbetjening", "Self-service";
    col_item => "Vare", "Item";
    col_qty => "Ant.", "Qty";
    col_price => "Pris", "Price";
    col_sum => "Sum", "Sum";
    basket_empty => "Kurven er tom. Skann en vare eller skriv PLU / navn.", "The basket is empty. Scan an item or type a PLU / name.";
    kiosk_welcome => "Velkommen! Skann varene dine.", "Welcome! Scan your items.";
    total => "Å BETALE", "TOTAL";
    vat_breakdown => "MVA per sats", "VAT per rate";
    vat_word => "mva", "VAT";
    vat_of => "herav mva", "of which VAT";
    vat_total => "Sum mva", "Total VAT";
    discount_total => "Sum rabatt", "Total discount";
    demo_open => "åpne", "open";
    demo_approve => "godkjenn", "approve";
    demo_reject => "avvis", "reject";
    discount_word => "rabatt", "discount";
    return_word => "RETUR", "RETURN";
    parked_word => "Parkert", "Parked";
    input_scan => "Strekkode / PLU / søk", "Barcode / PLU / search";
    input_phone => "Telefon eller personlig QR", "Phone or personal QR";
    kiosk_input_phone => "Mobilnummeret ditt", "Your mobile number";
    kiosk_pay_title => "Betal med Vipps", "Pay with Vipps";
    kiosk_pay_push_hint => "Skriv inn mobilnummeret ditt og trykk Enter. Betalingen kommer i Vipps-appen din.", "Type your mobile number and press Enter. The payment appears in your Vipps app.";
    kiosk_pay_qr_hint => "Vis en QR-kode og skann den med Vipps-appen din.", "Show a QR code and scan it with your Vipps app.";
    kiosk_send => "Send til mobilen", "Send to your phone";
    kiosk_pay_back => "Esc: tilbake til varene", "Esc: back to your items";
    prompt_quantity => "Nytt antall", "New quantity";
    prompt_weight => "Vekt / mengde (f.eks. 0,450)", "Weight / amount (e.g. 0,450)";
    prompt_price => "Ny enhetspris (kr)", "New unit price (kr)";
    prompt_discount => "Rabatt (f.eks. 10% eller 5,00)", "Discount (e.g. 10% or 5,00)";
    prompt_open_price => "Åpen pris i kr, evt. /mva-sats (49,90/15)", "Open price in kr, optionally /VAT rate (49,90/15)";
    prompt_pin => "Personal-PIN for å avslutte", "Staff PIN to quit";
    prompt_manager_price => "Leder-PIN for å endre pris", "Manager PIN to change the price";
    prompt_manager_void => "Leder-PIN for å annullere", "Manager PIN to void";
    prompt_manager_kiosk => "Leder-PIN for å avslutte", "Manager PIN to quit";
    manager_pin_hint => "PIN-en vises ikke. Enter: bekreft · Esc: avbryt", "The PIN is not shown. Enter: confirm · Esc: cancel";
    search_title => "Søketreff", "Search results";
    search_none => "Ingen treff", "No matches";
    open_price_name => "Diverse (åpen pris)", "Miscellaneous (open price)";
    pay_title => "Velg betaling", "Choose payment";
    pay_push_hint => "Skriv eller skann kundens mobilnummer eller personlige QR-kode og trykk Enter for å sende betalingen til kundens telefon.", "Type or scan the customer's phone number or personal QR code and press Enter to send the payment to the customer's phone.";
    pay_qr_hint => "Eller vis en QR-kode kunden skanner med Vipps-appen.", "Or show a QR code the customer scans with the Vipps app.";
    status_creating => "Oppretter betaling …", "Creating payment …";
    status_waiting_customer => "Venter på at kunden åpner betalingen", "Waiting for the customer to open the payment";
    status_waiting_approval => "Kunden har åpnet – venter på godkjenning", "Customer opened it – waiting for approval";
    status_authorized => "Godkjent – trekker beløpet …", "Approved – capturing …";
    status_capturing => "Trekker beløpet …", "Capturing …";
    status_paid => "BETALT", "PAID";
    status_rejected => "AVVIST", "REJECTED";
    status_expired => "UTLØPT", "EXPIRED";
    status_cancelled => "AVBRUTT", "CANCELLED";
    status_failed => "FEILET", "FAILED";
    status_after_cancel => "Kunden godkjente etter at du avbrøt!", "The customer approved after you cancelled!";
    decide_hint => "Beløpet er reservert hos kunden. Fullfør salget, eller annuller betalingen.", "The amount is reserved on the customer's account. Complete the sale, or void the payment.";
    cancel_requested => "Avbryter …", "Cancelling …";
    gauge_open => "Åpne", "Open";
    gauge_approve => "Godkjenne", "Approve";
    gauge_latest_end => "Senest om", "At most";
    scan_qr => "Skann med Vipps-appen", "Scan with the Vipps app";
    qr_too_small => "Vinduet er for lite til QR-koden. Gjør terminalen større.", "The window is too small for the QR code. Make the terminal larger.";
    push_sent_to => "Sendt til", "Sent to";
    reference => "Referanse", "Reference";
    receipt_no => "Kvittering", "Receipt";
    receipt_summary => "Kvittering", "Receipt";
    next_sale_hint => "Enter: neste salg", "Enter: next sale";
    back_to_basket_hint => "Enter: tilbake til kurven", "Enter: back to the basket";
    back_to_basket => "Tilbake til kurven", "Back to the basket";
    qr_same_sale => "QR-kode for samme salg", "QR code for the same sale";
    net_online => "Vipps: tilkoblet", "Vipps: online";
    net_offline => "Vipps: FRAKOBLET", "Vipps: OFFLINE";
    net_unknown => "Vipps: ?", "Vipps: ?";
    net_not_answering => "Vipps: SVARER IKKE", "Vipps: NOT ANSWERING";
    not_answering_warning => "Vipps svarer ikke – vent, betalingen sjekkes. Ikke ta betalt på nytt.", "Vipps is not answering – wait, the payment is checked. Do not charge again.";
    outbox_word => "Kø", "Queue";
    dead_word => "feilet", "dead";
    hq_behind_word => "bak", "behind";
    offline_warning => "Vipps kan ikke nås – ingen nye betalinger. Køen sendes senere.", "Vipps unreachable – no new payments. The queue is sent later.";
    help_title => "Hjelp – taster", "Help – keys";
    help_footer => "Esc / F1: lukk", "Esc / F1: close";
    recovered_title => "Gjenopprettede salg", "Recovered sales";
    recovered_intro => "Disse salgene var ikke ferdige da kassen sist ble avsluttet. Status nå:", "These sales were unfinished when the till last stopped. Where they stand now:";
    notice_close => "Enter: lukk", "Enter: close";
    too_small => "Terminalen er for liten", "The terminal is too small";
    err_unknown_code => "Ukjent vare", "Unknown item";
    err_price_lookup_code => "Prissjekk: skann eller skriv strekkode/PLU først, så F2", "Price check: scan or type a barcode/PLU first, then F2";
    err_no_line => "Velg en linje først (↑/↓)", "Select a line first (↑/↓)";
    err_empty_basket => "Kurven er tom", "The basket is empty";
    err_kiosk_staff => "Ikke tilgjengelig i selvbetjening – tilkall personalet", "Not available in self-service – call staff";
    err_wrong_pin => "Feil PIN", "Wrong PIN";
    err_void_too_late => "Betalingen venter ikke lenger på et valg – ingenting annullert", "The payment is no longer waiting for a decision – nothing voided";
    info_checking_pin => "Sjekker PIN …", "Checking PIN …";
    err_offline_pay => "Vipps kan ikke nås nå. Prøv igjen når nettet er tilbake.", "Vipps cannot be reached. Try again when the network is back.";
    err_negative_total => "Totalen er null eller negativ: en retur betales tilbake som refusjon, ikke som ny betaling.", "The total is zero or negative: a return is paid back as a refund, not as a new payment.";
    err_quit_paying => "Fullfør eller avbryt betalingen før du avslutter", "Finish or cancel the payment before quitting";
    err_nothing_parked => "Ingen parkerte kurver", "No parked baskets";
    err_park_empty => "Kurven er tom – ingenting å parkere", "The basket is empty – nothing to park";
    err_recall_busy => "Fullfør eller parker kurven først", "Finish or park the current basket first";
    err_nothing_to_reprint => "Bare et betalt salg har en kvittering å skrive ut igjen", "Only a paid sale has a receipt to print again";
    info_parked => "Kurven er parkert", "Basket parked";
    info_recalled => "Parkert kurv hentet", "Parked basket recalled";
    info_idle_reset => "Kurven ble tømt etter inaktivitet", "The basket was cleared after inactivity";
    prompt_cash => "Mottatt kontant (kr)", "Cash received (kr)";
    prompt_manager_drawer => "Leder-PIN for å åpne skuffen", "Manager PIN to open the drawer";
    pay_cash_hint => "Kontant: hele beløpet, eller en del og resten med Vipps.", "Cash: the whole amount, or part of it and the rest by Vipps.";
    cash_word => "Kontant", "Cash";
    cash_received => "Mottatt kontant", "Cash received";
    vipps_word => "Vipps", "Vipps";
    remaining_by_vipps => "Rest å betale med Vipps", "Remaining by Vipps";
    rest_vipps_short => "Rest Vipps", "Rest by Vipps";
    split_choose_hint => "Send resten til kundens telefon (Enter) eller vis QR-kode (F2). Esc angrer kontantdelen.", "Send the rest to the customer's phone (Enter) or show a QR code (F2). Esc undoes the cash part.";
    status_paid_cash => "BETALT KONTANT", "PAID IN CASH";
    change_word => "Vekslepenger", "Change";
    no_change => "Ingen vekslepenger", "No change";
    cash_rounding => "Øreavrunding", "Rounding";
    cash_to_pay => "Å betale kontant", "Cash to pay";
    recording_cash => "Registrerer kontantsalget …", "Recording the cash sale …";
    split_failed_title => "Vipps-delen ble ikke betalt", "The Vipps part was not paid";
    split_failed_hint => "Kurven står. Enter: tilbake til kurven, ta betalt på nytt (F12), f.eks. hele beløpet kontant (F3).", "The basket is kept. Enter: back to the basket, take payment again (F12), e.g. all of it in cash (F3).";
    split_not_counted => "Kontantdelen er ikke bokført (salget feilet).", "The cash part is not booked (the sale failed).";
    info_drawer_opened => "Kassaskuffen er åpnet", "The cash drawer is open";
    err_drawer_needs_manager => "Å åpne skuffen uten salg krever en leder: opprett en leder (kasse create-manager)", "Opening the drawer without a sale needs a manager: create one (kasse create-manager)";
    err_cash_pending => "Kontantsalget registreres – vent litt", "The cash sale is being recorded – wait a moment";
}

/// Messages with values.
pub fn unknown_code(code: &str) -> Text {
    Text::new(
        format!("Ukjent vare «{code}». Sjekk koden eller søk på navn."),
        format!("Unknown item \"{code}\". Check the code or search by name."),
    )
}

/// A phone number the till cannot push to, naming the countries the API takes: ePayment
/// pushes to Norway, Denmark and Finland; eCom and PSP only to Norwegian numbers.
pub fn bad_phone(input: &str, api: crate::domain::money::VippsApi) -> Text {
    use crate::domain::money::VippsApi;
    match api {
        VippsApi::Epayment => Text::new(
            format!(
                "«{input}» er ikke et mobilnummer eller en personlig Vipps-QR. Skriv 8 siffer for et norsk nummer, eller landkode og nummer for Danmark (+45 og 8 siffer) eller Finland (+358), eller skann kundens QR."
            ),
            format!(
                "\"{input}\" is not a phone number or a Vipps personal QR. Type 8 digits for a Norwegian number, or the country code and number for Denmark (+45 and 8 digits) or Finland (+358), or scan the customer's QR."
            ),
        ),
        VippsApi::Ecom | VippsApi::Psp => Text::new(
            format!(
                "«{input}» er ikke et norsk mobilnummer. Skriv 8 siffer (eller +47 og 8 siffer); denne betalingsmåten tar bare norske nummer."
            ),
            format!(
                "\"{input}\" is not a Norwegian mobile number. Type 8 digits (or +47 and 8 digits); this payment method takes Norwegian numbers only."
            ),
        ),
    }
}

pub fn bad_price(input: &str) -> Text {
    Text::new(
        format!("«{input}» er ikke en pris. Skriv kroner med inntil to desimaler, f.eks. 24,90."),
        format!("\"{input}\" is not a price. Type kroner with up to two decimals, e.g. 24,90."),
    )
}

pub fn bad_discount(input: &str) -> Text {
    Text::new(
        format!("«{input}» er ikke en rabatt. Skriv prosent (10%) eller kroner (5,00)."),
        format!("\"{input}\" is not a discount. Type a percentage (10%) or kroner (5,00)."),
    )
}

pub fn bad_vat(input: &str) -> Text {
    Text::new(
        format!("«{input}» er ikke en norsk mva-sats. Bruk 25, 15, 12 eller 0."),
        format!("\"{input}\" is not a Norwegian VAT rate. Use 25, 15, 12 or 0."),
    )
}

pub fn kiosk_return_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::Nb => format!("Tilbake til start om {secs} s"),
        Lang::En => format!("Back to start in {secs} s"),
    }
}

pub fn too_small_detail(lang: Lang, w: u16, h: u16, min_w: u16, min_h: u16) -> String {
    match lang {
        Lang::Nb => format!("Nå {w}×{h}, trenger minst {min_w}×{min_h}."),
        Lang::En => format!("Now {w}×{h}, needs at least {min_w}×{min_h}."),
    }
}

pub fn parked_count(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Nb => format!("Parkerte kurver: {n}"),
        Lang::En => format!("Parked baskets: {n}"),
    }
}

pub fn search_for(lang: Lang, q: &str) -> String {
    match lang {
        Lang::Nb => format!("Søk: «{q}»"),
        Lang::En => format!("Search: \"{q}\""),
    }
}

/// A cash amount the cashier typed that is not an amount: names the field.
pub fn bad_cash(input: &str, why: &Text) -> Text {
    let strip = |s: &str, p: &str| s.strip_prefix(p).unwrap_or(s).to_owned();
    Text::new(
        format!(
            "Mottatt kontant «{input}»: {} Skriv beløpet kunden ga, f.eks. 200 eller 199,50.",
            strip(&why.nb, "Beløp: ")
        ),
        format!(
            "Cash received \"{input}\": {} Type what the customer gave, e.g. 200 or 199,50.",
            strip(&why.en, "Amount: ")
        ),
    )
}

pub fn cash_zero() -> Text {
    Text::new(
        "Mottatt kontant: beløpet må være mer enn 0. Skriv beløpet kunden ga, f.eks. 200.",
        "Cash received: the amount must be more than 0. Type what the customer gave, e.g. 200.",
    )
}

/// The Vipps part of a split would be below what Vipps accepts.
pub fn remainder_below_minimum(rest: Money, min: Money) -> Text {
    Text::new(
        format!(
            "Resten {rest} er under minstebeløpet for Vipps ({min}). Ta hele beløpet kontant, eller ta mindre kontant."
        ),
        format!(
            "The rest {rest} is below the Vipps minimum ({min}). Take all of it in cash, or take less cash."
        ),
    )
}

/// What to do with the cash of a split whose Vipps part did not go through.
pub fn give_back_cash(lang: Lang, cash: Money) -> String {
    match lang {
        Lang::Nb => format!("Gi tilbake {cash} kontant til kunden"),
        Lang::En => format!("Give back {cash} cash to the customer"),
    }
}

/// The cashier undid the cash part of a split before Vipps was asked.
pub fn cash_part_undone(cash: Money) -> Text {
    Text::new(
        format!("Kontantdelen er angret: gi tilbake {cash} kontant til kunden."),
        format!("The cash part is undone: give back {cash} cash to the customer."),
    )
}

/// A split sale that was paid: both tenders.
pub fn split_paid(lang: Lang, cash: Money, vipps: Money) -> String {
    match lang {
        Lang::Nb => format!("Kontant {cash} + Vipps {vipps}"),
        Lang::En => format!("Cash {cash} + Vipps {vipps}"),
    }
}

/// Paper jobs waiting for the printer.
pub fn print_queued(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Nb => format!(
            "{n} {} i utskriftskø – sjekk skriveren",
            if n == 1 { "kvittering" } else { "kvitteringer" }
        ),
        Lang::En => format!(
            "{n} {} queued for printing – check the printer",
            if n == 1 { "receipt" } else { "receipts" }
        ),
    }
}

pub fn cash_already_taken(cash: Money) -> Text {
    Text::new(
        format!("Kontant er allerede tatt ({cash}). Esc angrer kontantdelen."),
        format!("Cash is already taken ({cash}). Esc undoes the cash part."),
    )
}

/// The help overlay's scroll line when not every binding fits ("rows 1–15 of 19").
pub fn help_more(lang: Lang, from: usize, to: usize, total: usize) -> String {
    match lang {
        Lang::Nb => format!("↑/↓ PgUp/PgDn: mer (linje {from}–{to} av {total})"),
        Lang::En => format!("↑/↓ PgUp/PgDn: more (rows {from}–{to} of {total})"),
    }
}

/// A cash rounding with its sign, e.g. `+kr 0,10` or `-kr 0,40`.
pub fn signed_rounding(m: Money) -> String {
    if m.minor() > 0 {
        format!("+{m}")
    } else {
        m.to_string()
    }
}

/// Ctrl-C does not quit (a scanner or a habit may send it): say which key does.
pub fn quit_key_is(quit_key: &str) -> Text {
    Text::new(format!("{quit_key} avslutter"), format!("{quit_key} quits"))
}

/// A quantity over `ui.max_quantity` (or zero), naming the limit.
pub fn quantity_out_of_range(input: &str, max: u32) -> Text {
    Text::new(
        format!("Antall «{input}»: skriv et antall fra 1 til {max}."),
        format!("Quantity \"{input}\": type a quantity from 1 to {max}."),
    )
}

/// A percentage discount over 100 %.
pub fn discount_over_100(input: &str) -> Text {
    Text::new(
        format!("Rabatt «{input}»: høyst 100 %. Skriv en mindre prosent, eller kroner (5,00)."),
        format!(
            "Discount \"{input}\": at most 100 %. Type a smaller percentage, or kroner (5,00)."
        ),
    )
}

/// The staff PIN prompt is locked after wrong PINs: how long, in the same words everywhere
/// (the kiosk's quit PIN and the manager PIN that also unlocks it).
pub fn pin_locked(secs: i64) -> Text {
    let secs = secs.max(1);
    Text::new(
        format!("For mange feil PIN – PIN-en er sperret i {secs} s. Salget går som vanlig."),
        format!("Too many wrong PINs – the PIN is blocked for {secs} s. Selling goes on as usual."),
    )
}

/// A phone number the kiosk's customer typed that is not one: in the customer's words.
pub fn kiosk_bad_phone(input: &str) -> Text {
    Text::new(
        format!(
            "«{input}» er ikke et mobilnummer. Skriv de 8 sifrene i mobilnummeret ditt, eller landkode og nummer."
        ),
        format!(
            "\"{input}\" is not a mobile number. Type the 8 digits of your mobile number, or the country code and number."
        ),
    )
}
