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
    scan_qr => "Skann med Vipps-appen", "Scan with the Vipps app";
    qr_too_small => "Vinduet er for lite til QR-koden. Gjør terminalen større.", "The window is too small for the QR code. Make the terminal larger.";
    push_sent_to => "Sendt til", "Sent to";
    reference => "Referanse", "Reference";
    receipt_no => "Kvittering", "Receipt";
    receipt_summary => "Kvittering", "Receipt";
    next_sale_hint => "Enter: neste salg", "Enter: next sale";
    net_online => "Vipps: tilkoblet", "Vipps: online";
    net_offline => "Vipps: FRAKOBLET", "Vipps: OFFLINE";
    net_unknown => "Vipps: ?", "Vipps: ?";
    net_not_answering => "Vipps: SVARER IKKE", "Vipps: NOT ANSWERING";
    not_answering_warning => "Vipps svarer ikke – vent, betalingen sjekkes. Ikke ta betalt på nytt.", "Vipps is not answering – wait, the payment is checked. Do not charge again.";
    outbox_word => "Kø", "Queue";
    dead_word => "feilet", "dead";
    offline_warning => "Vipps kan ikke nås – ingen nye betalinger. Køen sendes senere.", "Vipps unreachable – no new payments. The queue is sent later.";
    help_title => "Hjelp – taster", "Help – keys";
    help_footer => "Esc / F1: lukk", "Esc / F1: close";
    recovered_title => "Gjenopprettede salg", "Recovered sales";
    recovered_intro => "Disse salgene var ikke ferdige da kassen sist ble avsluttet. Status nå:", "These sales were unfinished when the till last stopped. Where they stand now:";
    notice_close => "Enter: lukk", "Enter: close";
    too_small => "Terminalen er for liten", "The terminal is too small";
    err_unknown_code => "Ukjent vare", "Unknown item";
    err_no_line => "Velg en linje først (↑/↓)", "Select a line first (↑/↓)";
    err_empty_basket => "Kurven er tom", "The basket is empty";
    err_kiosk_staff => "Ikke tilgjengelig i selvbetjening – tilkall personalet", "Not available in self-service – call staff";
    err_wrong_pin => "Feil PIN", "Wrong PIN";
    err_void_too_late => "Betalingen venter ikke lenger på et valg – ingenting annullert", "The payment is no longer waiting for a decision – nothing voided";
    info_checking_pin => "Sjekker PIN …", "Checking PIN …";
    err_pin_locked => "For mange feil PIN – vent ett minutt", "Too many wrong PINs – wait a minute";
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
}

/// Messages with values.
pub fn unknown_code(code: &str) -> Text {
    Text::new(
        format!("Ukjent vare «{code}». Sjekk koden eller søk på navn."),
        format!("Unknown item \"{code}\". Check the code or search by name."),
    )
}

pub fn bad_phone(input: &str) -> Text {
    Text::new(
        format!(
            "«{input}» er ikke et mobilnummer eller en personlig Vipps-QR. Skriv 8 siffer (eller 47 + 8 siffer), eller skann kundens QR."
        ),
        format!(
            "\"{input}\" is not a phone number or a Vipps personal QR. Type 8 digits (or 47 + 8 digits), or scan the customer's QR."
        ),
    )
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

pub fn below_minimum(min: Money) -> Text {
    Text::new(
        format!("Beløpet er under minstebeløpet for Vipps ({min})."),
        format!("The amount is below the Vipps minimum ({min})."),
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
