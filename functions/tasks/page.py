"""The web page behind a remote-task link: the exercise, and the pages that say why not.

Plain HTML with inline CSS and script under a per-response CSP nonce: no CDN, no
external font, nothing loaded from anywhere else, so it works on a school iPad as on
any current browser. Every control has a label and works from the keyboard.
"""

from __future__ import annotations

import html
import json
import random
import secrets
from typing import Any

from shared.messaging.models import Locale

TEXTS: dict[Locale, dict[str, str]] = {
    Locale.DA: {
        "title": "Opgave fra Trivsel",
        "submit": "Send svar",
        "memory_intro": "Vend to kort ad gangen. Find alle par, og send så dit svar.",
        "memory_done": "Flot! Du fandt alle par. Tryk på \u201cSend svar\u201d.",
        "moves": "Træk",
        "watched": "Jeg har set filmen",
        "thanks_title": "Tak for dit svar",
        "thanks": "Dit svar er sendt. Du kan nu lukke siden.",
        "invalid": "Svaret kunne ikke gemmes. Se efter felterne herunder og prøv igen.",
        "tampered": "Linket er ikke gyldigt. Tjek, at du har kopieret hele linket fra e-mailen.",
        "expired": "Linket er udløbet. Kontakt den fagperson, der sendte opgaven, for et nyt.",
        "answered": "Opgaven er allerede besvaret. Tak! Dit svar er gemt, og intet er ændret.",
        "cancelled": "Opgaven er trukket tilbage af afsenderen. Der er ikke noget at besvare.",
        "replaced": "Der er sendt et nyere link til denne opgave. Brug linket i den nyeste e-mail.",
        "gone": "Opgaven findes ikke længere.",
        "rate_limited": "Linket er åbnet for mange gange på kort tid. Prøv igen om en time.",
        "error_title": "Opgaven kan ikke åbnes",
        "unavailable": "Opgaven kan ikke åbnes lige nu. Kontakt den fagperson, der sendte den.",
        "failed": "Noget gik galt hos os. Dit svar er ikke gemt. Prøv igen om lidt.",
        "card": "Kort",
        "matched": "Par fundet",
        "no_match": "Ikke et par",
        "noscript": "Vendespillet kræver JavaScript. Slå det til i browseren, og åbn linket igen.",
        "missing": "Skal udfyldes",
        "field_problem": "Er ikke gyldigt",
    },
    Locale.EN: {
        "title": "Task from Trivsel",
        "submit": "Send answer",
        "memory_intro": "Turn two cards at a time. Find every pair, then send your answer.",
        "memory_done": "Well done! You found every pair. Press \u201cSend answer\u201d.",
        "moves": "Moves",
        "watched": "I have watched the film",
        "thanks_title": "Thank you for your answer",
        "thanks": "Your answer has been sent. You can close this page.",
        "invalid": "The answer could not be saved. Check the fields below and try again.",
        "tampered": "The link is not valid. Check that you copied the whole link from the e-mail.",
        "expired": "The link has expired. Ask the professional who sent the task for a new one.",
        "answered": "This task is already answered. Thank you! Your answer is saved and unchanged.",
        "cancelled": "The sender has withdrawn this task. There is nothing to answer.",
        "replaced": "A newer link has been sent for this task. Use the link in the latest e-mail.",
        "gone": "This task no longer exists.",
        "rate_limited": "The link was opened too often in a short while. Try again in an hour.",
        "error_title": "The task cannot be opened",
        "unavailable": "The task cannot be opened now. Contact the professional who sent it.",
        "failed": "Something went wrong on our side. Your answer is not saved. Try again soon.",
        "card": "Card",
        "matched": "Pair found",
        "no_match": "Not a pair",
        "noscript": "The memory game needs JavaScript. Turn it on and open the link again.",
        "missing": "Must be filled in",
        "field_problem": "Is not valid",
    },
}
STATUS = {
    "unavailable": 403,
    "failed": 500,
    "tampered": 400,
    "expired": 410,
    "answered": 409,
    "cancelled": 410,
    "replaced": 410,
    "gone": 404,
    "rate_limited": 429,
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;
color:#1d2430;line-height:1.5}main{max-width:44rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem}label{display:block;font-weight:600;margin:1rem 0 .3rem}
textarea{width:100%;min-height:6rem;font:inherit;padding:.5rem;box-sizing:border-box}
button{font:inherit;padding:.7rem 1.2rem;border-radius:.4rem;border:2px solid #1d4ed8;
background:#1d4ed8;color:#fff;cursor:pointer}button:disabled{opacity:.5;cursor:default}
button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f59e0b;
outline-offset:2px}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(7rem,1fr));
gap:.6rem;margin:1rem 0}.card{min-height:5rem;background:#fff;color:#1d2430;border-color:#94a3b8}
.card.shown{background:#dbeafe}.card.matched{background:#dcfce7;border-color:#16a34a}
.error{background:#fee2e2;border-left:4px solid #dc2626;padding:.7rem}video{width:100%}
"""

MEMORY_SCRIPT = """
(function(){
  var deck = JSON.parse(document.getElementById('deck').textContent);
  var grid = document.getElementById('grid'), moves = 0, found = 0, open = [], started = Date.now();
  var submit = document.getElementById('submit'), status = document.getElementById('status');
  deck.forEach(function(card, i){
    var b = document.createElement('button');
    b.type = 'button'; b.className = 'card'; b.dataset.index = i;
    b.setAttribute('aria-label', status.dataset.card + ' ' + (i + 1)); b.textContent = '?';
    b.addEventListener('click', function(){ turn(b, card); });
    grid.appendChild(b);
  });
  function turn(b, card){
    var done = b.classList.contains('matched') || b.classList.contains('shown');
    if (done || open.length == 2) return;
    b.classList.add('shown'); b.textContent = card.text; b.setAttribute('aria-label', card.text);
    open.push([b, card]);
    if (open.length < 2) return;
    moves++; document.getElementById('moves').textContent = moves;
    var a = open[0], c = open[1];
    if (a[1].pair === c[1].pair) {
      a[0].classList.add('matched'); c[0].classList.add('matched'); open = []; found++;
      [a[0], c[0]].forEach(function(x){ x.setAttribute('aria-disabled', 'true'); });
      status.textContent = status.dataset.matched + ': ' + a[1].text + ' / ' + c[1].text;
      if (found * 2 === deck.length) { finish(); }
    } else {
      status.textContent = status.dataset.miss;
      setTimeout(function(){
        [a, c].forEach(function(x){ x[0].classList.remove('shown'); x[0].textContent = '?';
          x[0].setAttribute('aria-label',
            status.dataset.card + ' ' + (Number(x[0].dataset.index) + 1)); });
        open = [];
      }, 900);
    }
  }
  function finish(){
    document.getElementById('matched_pairs').value = found;
    document.getElementById('moves_field').value = moves;
    document.getElementById('seconds').value = Math.round((Date.now() - started) / 1000);
    submit.disabled = false; status.textContent = status.dataset.done; submit.focus();
  }
})();
"""


def _document(title: str, body: str, nonce: str, locale: Locale, script: str = "") -> str:
    script_tag = f'<script nonce="{nonce}">{script}</script>' if script else ""
    return (
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
        f'<style nonce="{nonce}">{CSS}</style></head><body><main>{body}</main>'
        f"{script_tag}</body></html>"
    )


def headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "media-src https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "Referrer-Policy": "no-referrer",  # the link is the key: never pass it on
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def refusal(reason: str, locale: Locale, nonce: str) -> tuple[str, int]:
    texts = TEXTS[locale]
    body = f'<h1>{texts["error_title"]}</h1><p role="alert">{texts[reason]}</p>'
    return _document(texts["error_title"], body, nonce, locale), STATUS[reason]


def thanks(locale: Locale, nonce: str) -> str:
    texts = TEXTS[locale]
    body = f'<h1>{texts["thanks_title"]}</h1><p role="status">{texts["thanks"]}</p>'
    return _document(texts["thanks_title"], body, nonce, locale)


def exercise_page(
    exercise: dict[str, Any],
    locale: Locale,
    nonce: str,
    problems: list[dict[str, Any]] | None = None,
    values: dict[str, str] | None = None,
) -> str:
    texts = TEXTS[locale]
    content = exercise["content"]
    kind = content["kind"]
    values = values or {}
    parts = [f"<h1>{html.escape(exercise['title'])}</h1>"]
    if exercise.get("instructions"):
        parts.append(f"<p>{html.escape(exercise['instructions'])}</p>")
    labels = {f"answers.{f['id']}": f["label"] for f in content.get("fields", [])}
    invalid = {str(p.get("field")) for p in problems or []}
    if problems:
        items = "".join(
            f"<li>{html.escape(labels.get(str(p.get('field')), str(p.get('field'))))}: "
            f"{texts['missing'] if p.get('message') == 'missing' else texts['field_problem']}"
            "</li>"
            for p in problems
        )
        parts.append(
            f'<div class="error" role="alert"><p>{texts["invalid"]}</p><ul>{items}</ul></div>'
        )
    parts.append('<form method="post">')
    script = ""
    if kind == "memory_game":
        deck = [
            {"pair": n, "text": text}
            for n, pair in enumerate(content["pairs"])
            for text in (pair["front"], pair["back"])
        ]
        random.shuffle(deck)
        # No "<" at all inside the script element: not "</script>", not "<!--".
        deck_json = json.dumps(deck, ensure_ascii=False).replace("<", "\\u003c")
        parts.append(
            f"<p>{texts['memory_intro']}</p>"
            f'<p>{texts["moves"]}: <span id="moves" aria-live="polite">0</span></p>'
            f'<div id="grid" class="grid"></div>'
            f'<script type="application/json" id="deck">{deck_json}</script>'
            '<input type="hidden" name="matched_pairs" id="matched_pairs" value="0">'
            '<input type="hidden" name="moves" id="moves_field" value="0">'
            '<input type="hidden" name="seconds" id="seconds" value="0">'
            f'<p id="status" role="status" data-done="{html.escape(texts["memory_done"])}" '
            f'data-card="{texts["card"]}" data-matched="{texts["matched"]}" '
            f'data-miss="{texts["no_match"]}"></p>'
            f'<noscript><p class="error">{texts["noscript"]}</p></noscript>'
        )
        script = MEMORY_SCRIPT
    if kind == "film_reflection":
        parts.append(
            '<video controls playsinline preload="metadata" '
            f'src="{html.escape(content["video_url"])}"></video>'
        )
        checked = " checked" if values.get("watched") else ""
        parts.append(
            f'<label><input type="checkbox" name="watched" value="1"{checked}> '
            f"{texts['watched']}</label>"
        )
    for field in content.get("fields", []):
        name = f"a_{field['id']}"
        flagged = ' aria-invalid="true"' if f"answers.{field['id']}" in invalid else ""
        parts.append(
            f'<label for="{name}">{html.escape(field["label"])}</label>'
            f'<textarea id="{name}" name="{name}" maxlength="5000" required'
            f"{flagged}>"
            f"{html.escape(values.get(name, ''))}</textarea>"
        )
    disabled = " disabled" if kind == "memory_game" else ""
    parts.append(
        f'<p><button type="submit" id="submit"{disabled}>{texts["submit"]}</button></p></form>'
    )
    return _document(exercise["title"], "".join(parts), nonce, locale, script)


def answers_from_form(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The posted form as the answers the exercise kind expects (validated afterwards)."""
    if kind == "memory_game":
        return {key: form.get(key, "") for key in ("matched_pairs", "moves", "seconds")}
    answers: dict[str, Any] = {"answers": {k[2:]: v for k, v in form.items() if k.startswith("a_")}}
    if kind == "film_reflection":
        answers["watched"] = form.get("watched") == "1"
    return answers
