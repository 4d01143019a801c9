"""The hosted card page, as plain HTML with its own CSS (no external assets)."""

from html import escape

from .store import TEST_CARDS

STYLE = """
body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;background:#eef2f6;color:#1c2430}
.top{background:#14213d;color:#fff;padding:14px 24px;font-weight:700;letter-spacing:.5px}
.wrap{max-width:460px;margin:32px auto;padding:0 16px}
.card{background:#fff;border-radius:14px;box-shadow:0 6px 24px rgba(20,33,61,.12);padding:24px}
h1{font-size:1.3rem;margin:0 0 4px}.amount{font-size:2rem;font-weight:800;margin:8px 0 16px}
label{display:block;font-weight:600;font-size:.9rem;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:11px 12px;border:1px solid #8a94a6;border-radius:8px;font:inherit}
.row{display:flex;gap:12px}.row>div{flex:1}
.btn{width:100%;padding:13px;border:0;border-radius:9px;font:inherit;font-weight:700;margin-top:18px;cursor:pointer}
.pay{background:#1d4ed8;color:#fff}.cancel{background:#fff;color:#1c2430;border:1px solid #8a94a6;margin-top:10px}
.err{background:#fde8e7;color:#9b1c13;padding:10px 12px;border-radius:8px;margin-top:12px}
.muted{color:#5b6678;font-size:.88rem}table{width:100%;font-size:.85rem;border-collapse:collapse;margin-top:8px}
td{padding:4px 0;border-bottom:1px solid #e3e8ef}code{font-size:.9rem}
"""


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title><style>{STYLE}</style>'
        f'</head><body><div class="top">Sandbox Bank · secure payment</div><div class="wrap">{body}</div>'
        f"</body></html>"
    ).encode()


def card_form(session: dict, error: str = "", values: dict | None = None) -> bytes:
    values = values or {}
    cards = "".join(
        f"<tr><td><code>{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}</code></td><td>{escape(label)}</td></tr>"
        for n, (_, label) in TEST_CARDS.items()
    )
    err = f'<p class="err" role="alert">{escape(error)}</p>' if error else ""
    name = escape(values.get("name", ""))
    setup = session.get("mode") == "setup"
    amount = "Nothing is charged now" if setup else f"{escape(session['amount'])} {escape(session['currency'])}"
    saving = (
        '<p class="muted">Your card is saved with the bank as a guarantee: the merchant never sees its number, and'
        " may charge it later only as agreed (a balance, a no-show or late-cancellation fee).</p>"
        if session.get("save_card")
        else ""
    )
    button = "Save card" if setup else f"Pay {escape(session['amount'])} {escape(session['currency'])}"
    expiry = escape(values.get("expiry", ""))
    body = f"""<div class="card"><p class="muted">Merchant reference</p><h1>{escape(session["reference"])}</h1>
<p class="muted">{escape(session.get("description") or "")}</p>
<p class="amount">{amount}</p>{saving}{err}
<form method="post" autocomplete="off">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" maxlength="23" required>
<div class="row"><div><label for="expiry">Expiry (MM/YY)</label><input id="expiry" name="expiry" value="{expiry}" placeholder="MM/YY" maxlength="7" required></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" maxlength="4" required></div></div>
<label for="name">Name on card</label><input id="name" name="name" value="{name}" maxlength="100">
<button class="btn pay" type="submit" name="action" value="pay">{button}</button>
<button class="btn cancel" type="submit" name="action" value="cancel" formnovalidate>Cancel and go back</button>
</form></div>
<div class="card" style="margin-top:16px"><strong>Test cards</strong> <span class="muted">(any future expiry, any CVC)</span>
<table>{cards}</table></div>"""
    return _page("Sandbox Bank — pay", body)


def already_done(session: dict, back: str) -> bytes:
    """Shown instead of the form once a session is settled: nothing can be charged twice."""
    if session["status"] in ("paid", "authorized"):
        title, text = "This payment is already complete", "Your card was charged once; nothing more will be charged."
    elif session["status"] == "saved":
        title, text = "Your card is saved", "Nothing was charged."
    else:
        title, text = "This payment is closed", "It was cancelled or declined; nothing was charged."
    return _page(
        "Sandbox Bank",
        f'<div class="card"><h1>{title}</h1><p>{text}</p>'
        f'<p><a href="{escape(back)}">Back to {escape(session["reference"])}</a></p></div>',
    )


def message_page(message: str) -> bytes:
    return _page("Sandbox Bank", f'<div class="card"><h1>Sorry</h1><p>{escape(message)}</p></div>')
