"""The sign-in gate: every run passes it before any page is chosen, so no page draws data for
someone who has not signed in.

Three ways through: single sign-on (Streamlit's `st.login`, when `.streamlit/secrets.toml` has
an `[auth]` section) whose e-mail names one of our users; the built-in form against `access.users`;
or a kiosk token in the URL (`?kiosk=TOKEN`), which opens the meeting screen and nothing else.
The signed-in actor lives in the session; it is re-read from the database on every run, so a
disabled user or a revoked token is shut out at once, and it expires after an idle time. A built-in
sign-in also outlives a reload or a new tab: the browser keeps its session token in a cookie
(`access.sessions`), and signing out in one tab signs out them all.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import streamlit as st

from access import kiosk, sessions, users
from access.permissions import Actor
from db.config import city_tz, idle_minutes
from ui import data, first_paint, url
from ui.actor import SESSION_KEY
from ui.i18n import current_language, name_of, t
from words.formatting import instant
from words.language import LANGUAGES

log = logging.getLogger("citydesk.auth")
USER_ID = "_auth_user_id"  # the users row behind the actor (absent: put there by other code)
TOKEN = "_auth_session_token"  # the built-in sign-in's session (access.sessions), also in a cookie
COOKIE = "citydesk_session"
COOKIE_WRITE = "_auth_cookie_write"  # the cookie is written (or cleared) by the next full run
KIOSK_ID = "_auth_kiosk_id"  # the kiosk token the meeting screen opened with
KIOSK_LABEL = "_auth_kiosk_label"
SSO_EXPIRED = "_auth_sso_expired"  # idle expiry under single sign-on: leave the provider first
SEEN = "_auth_seen"  # epoch seconds of the last full run: idle expiry
NOTICE = "_auth_notice"  # why the user was signed out, shown once above the sign-in
BARE = "_bare_address"  # the tab opened the app's bare address (dashboard.py lands a head)
KEPT = ("lang", COOKIE_WRITE, BARE)  # what survives signing out
# The sign-in form: its boxes, the last refusal (shown once), the instant the next try may come.
NAME, PASSWORD, LANG = "_auth_name", "_auth_password", "_auth_lang"
REFUSAL, RETRY_AT = "_auth_refusal", "_auth_retry_at"
# Streamlit's own "Press Enter to submit form" is English in every language: the button says it.
FORM_STYLE = ('<style>[data-testid="InputInstructions"] {display: none}'
              '.signin-wait {font-size: 1rem; margin: .5rem 0}</style>')
WATCH_SECONDS = 30  # how often a session is checked between full runs
# The script's element stays, empty, once the script has gone: take it out of the layout, with
# the gap the sidebar leaves between elements.
SPENT_SCRIPT_STYLE = ('<style>[data-testid="stElementContainer"]'
                      ':has(> [data-testid="stHtml"]:empty) {display: none}</style>')


def sso_configured() -> bool:
    """Whether `.streamlit/secrets.toml` configures single sign-on (an `[auth]` section)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def gate(pages: list[st.Page]) -> Actor:
    """The actor of this run; when nobody may see pages, draw the way in and stop the run.

    The way in is drawn under the address of every page (a navigation of stand-ins with the
    same url paths), so that a link to `/department?dept=WATER` still points there after the
    sign-in, whose rerun then finds the real page at that address.
    """
    token = url.get("kiosk") if url.given("kiosk") else None
    if token is not None or st.session_state.get(KIOSK_ID) is not None:
        return _kiosk(token)
    actor = st.session_state.get(SESSION_KEY)
    if actor is not None:
        actor = _still_signed_in(actor)
    if actor is None and not sso_configured():
        actor = _resumed()
    if actor is not None:
        st.session_state[SEEN] = time.time()
        return actor
    way_in = _single_sign_on if sso_configured() else _form
    st.navigation([st.Page(way_in, title=t("auth.title"), url_path=_name(p),
                           default=p.url_path == "") for p in pages], position="hidden").run()
    st.stop()


def pages_for(actor: Actor, pages: list[st.Page], audit: st.Page, week: st.Page) -> list[st.Page]:
    """The pages this actor gets: a kiosk the meeting screen alone; a head the overview, their
    own department and ticket cards; everyone else every page; leadership and dispatchers the
    week's review too, and leadership the audit log."""
    if actor.role == "wall":
        return [p for p in pages if _name(p) == "wall"]
    if actor.role == "head":
        return [p for p in pages if _name(p) in ("overview", "department", "ticket")]
    if actor.role == "leadership":
        return [*pages, week, audit]
    return [*pages, week] if actor.role == "dispatcher" else list(pages)


def _name(page: st.Page) -> str:
    """The url_path a page was given. Its public `url_path` is "" for the default page, and
    Streamlit has no public way to the name behind it, which the stand-ins of `gate` must reuse
    (a page's script hash, and so the page a rerun resolves to, follows that name). So the
    default page's name is read from `_url_path`, an assumption pinned with Streamlit's version
    in requirements.txt and checked by tests/test_streamlit_assumptions.py."""
    return page.url_path or page._url_path


def sign_out(notice: str | None = None) -> None:
    """End the sign-in session (in every tab) and forget everything this one knew, including its
    filters and last figures; the browser's cookie is cleared by the next run."""
    token = st.session_state.get(TOKEN)
    if token is not None:
        try:
            sessions.end(data.engine(), token)
        except data.OUTAGE_ERRORS:
            log.warning("signing out: the database is unreachable, the session ends when idle")
        st.session_state[COOKIE_WRITE] = ""
    _forget()
    if notice:
        st.session_state[NOTICE] = notice


def _forget() -> None:
    for key in list(st.session_state):
        if key not in KEPT:
            del st.session_state[key]


def _write_cookie() -> None:
    """Give the browser the session's token (or clear it): the one thing a script does here.
    The script removes itself once it has run."""
    value = st.session_state.pop(COOKIE_WRITE, None)
    if value is None:
        return
    first_paint.said_once()
    ending = "; max-age=0" if value == "" else ""
    st.html(f"""<script>
document.cookie = "{COOKIE}={value}; path=/; SameSite=Strict{ending}"
  + (location.protocol === "https:" ? "; Secure" : "");
document.currentScript && document.currentScript.remove();
</script>""", unsafe_allow_javascript=True, width="content")
    st.html(SPENT_SCRIPT_STYLE)  # style alone takes no place on the page


def sidebar(actor: Actor) -> None:
    """Who is signed in, and the way out; and a watch on the session between full runs."""
    st.fragment(_watch, run_every=WATCH_SECONDS)()
    with st.sidebar:
        _write_cookie()
    if actor.role == "wall":
        return
    where = f", {_department_name(actor.department)}" if actor.department else ""
    st.sidebar.caption(t("auth.signed_in_as", name=actor.name, role=t(f"role.{actor.role}"))
                       + where)
    if st.sidebar.button(t("auth.sign_out"), icon=":material/logout:", key="_auth_sign_out"):
        log.info("signed out: %s", actor.name)
        sign_out()
        if sso_configured():
            st.logout()
        st.rerun()


def _department_name(code: str) -> str:
    """A head's department by its name in the language; its code only while the database is
    out of reach."""
    try:
        frame = data.load_reference()["departments"]
    except data.OUTAGE_ERRORS:
        return code
    row = frame[frame["code"] == code]
    return name_of(row.iloc[0]) if len(row) else code


def _watch() -> None:
    """Pages refresh their figures in fragments, which do not pass the gate: when the session
    has ended meanwhile (a revoked token, a disabled user, too long idle), rerun the whole app,
    so that the gate shuts it."""
    try:
        if st.session_state.get(KIOSK_ID) is not None:
            over = not kiosk.is_live(data.engine(), st.session_state[KIOSK_ID])
        elif st.session_state.get(TOKEN) is not None:
            over = sessions.resume(data.engine(), st.session_state[TOKEN], _idle(),
                                   touch=False) is None
        else:
            seen = st.session_state.get(SEEN)
            over = seen is not None and time.time() - seen > idle_minutes() * 60
            if not over and st.session_state.get(USER_ID) is not None:
                with data.engine().connect() as conn:
                    user = users.get_user(conn, st.session_state[USER_ID])
                over = user is None or user.disabled
    except data.OUTAGE_ERRORS:
        return
    if over:
        st.rerun(scope="app")


def _still_signed_in(actor: Actor) -> Actor | None:
    """The session's actor, unless it has been idle too long, or its user was disabled, or
    single sign-on no longer vouches for it; then None, with a notice why. A session with a
    token is checked in the database, where it is idle only when idle in every tab."""
    if st.session_state.get(TOKEN) is not None:
        return _session_user(actor)
    seen = st.session_state.get(SEEN)
    if seen is not None and time.time() - seen > idle_minutes() * 60:
        log.info("session of %s expired after %s idle minutes", actor.name, idle_minutes())
        sign_out(t("auth.expired", minutes=f"{idle_minutes():g}"))
        if sso_configured():
            st.session_state[SSO_EXPIRED] = True
        return None
    if sso_configured() and not st.user.get("is_logged_in"):
        sign_out()
        return None
    user_id = st.session_state.get(USER_ID)
    if user_id is None:
        return actor
    try:
        with data.engine().connect() as conn:
            user = users.get_user(conn, user_id)
    except data.OUTAGE_ERRORS:
        return actor  # the pages say the database is down; who signed in has not changed
    if user is None or user.disabled:
        sign_out(t("auth.disabled"))
        return None
    return users.actor_for(user)


def _idle() -> timedelta:
    return timedelta(minutes=idle_minutes())


def _session_user(actor: Actor) -> Actor | None:
    """The actor of this tab's sign-in session while it lives; its use keeps it alive."""
    try:
        user = sessions.resume(data.engine(), st.session_state[TOKEN], _idle())
        if user is None:
            with data.engine().connect() as conn:
                known = users.get_user(conn, st.session_state[USER_ID])
    except data.OUTAGE_ERRORS:
        return actor  # the pages say the database is down; who signed in has not changed
    if user is not None:
        return users.actor_for(user)
    log.info("session of %s ended (signed out, idle or disabled)", actor.name)
    _forget()
    st.session_state[NOTICE] = t("auth.disabled") if known is None or known.disabled \
        else t("auth.ended", minutes=f"{idle_minutes():g}")
    st.session_state[COOKIE_WRITE] = ""
    return None


def _resumed() -> Actor | None:
    """The actor of the session whose token the browser sent, when it is still live."""
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest's cookies are a stand-in object)
        return None
    try:
        user = sessions.resume(data.engine(), token, _idle())
    except data.OUTAGE_ERRORS:
        return None
    if user is None:
        return None
    log.info("session resumed: %s", user.name)
    _signed_in(user, token)
    return users.actor_for(user)


def _signed_in(user: users.User, token: str | None = None) -> None:
    """This tab is `user`'s; with a session token when the sign-in should outlive a reload."""
    _forget()
    st.session_state[SESSION_KEY] = users.actor_for(user)
    st.session_state[USER_ID] = user.id
    st.session_state[SEEN] = time.time()
    if token is not None:
        st.session_state[TOKEN] = token


def _kiosk(token: str | None) -> Actor:
    """The meeting screen's actor, while its token is live; otherwise a refusal and a stop."""
    try:
        if token is not None:
            found = kiosk.verify(data.engine(), token)
            live = found is not None
            if live:
                st.session_state[KIOSK_ID] = found.id
                st.session_state[KIOSK_LABEL] = found.label
        else:
            live = kiosk.is_live(data.engine(), st.session_state[KIOSK_ID])
    except data.OUTAGE_ERRORS:
        live = st.session_state.get(KIOSK_ID) is not None  # keep showing the last figures
        if not live:
            st.error(t("auth.db_down"), icon=":material/warning:")
            st.stop()
    if not live:
        log.warning("a kiosk link was refused (unknown or revoked token)")
        sign_out()
        st.title(t("app.title"))
        st.error(t("auth.kiosk_refused"), icon=":material/block:")
        st.stop()
    actor = Actor(f"kiosk: {st.session_state[KIOSK_LABEL]}", "wall")
    st.session_state[SESSION_KEY] = actor  # what the meeting screen asks for (ui.actor)
    return actor


def _notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(notice, icon=":material/lock:")


def _form() -> None:
    """The built-in sign-in: name and password, in the language the user picks here. After a
    failure the name stays and the password box is emptied (a password never stays in a
    widget); a wait before the next try is counted down, with the button off until it ends."""
    st.html(FORM_STYLE)
    _write_cookie()  # first: a user who closes the tab at the sight of the form is signed out
    st.title(t("auth.title"))
    _language_switch()
    _notice()
    _first_user_hint()
    with st.form("sign_in", width=420):
        st.text_input(t("auth.name"), key=NAME, autocomplete="username")
        st.text_input(t("auth.password"), type="password", key=PASSWORD,
                      autocomplete="current-password")
        st.form_submit_button(t("auth.submit"), type="primary", on_click=_try)
    refusal = st.session_state.pop(REFUSAL, None)
    if refusal is not None:
        st.error(refusal, icon=":material/block:")
    until = st.session_state.get(RETRY_AT)
    if until is not None:
        _countdown(until)


def _first_user_hint() -> None:
    """An installation with no user yet says the command that makes the first one (a real
    city's database starts empty: the demo's seed is what made users before)."""
    try:
        with data.engine().connect() as conn:
            empty = not users.has_users(conn)
    except Exception:  # no hint is better than no form; the form says the rest
        log.warning("could not tell whether any user exists", exc_info=True)
        return
    if empty:
        st.info(t("auth.no_users"), icon=":material/person_add:")
        st.code(f"python -m db user add {t('auth.no_users_name')} --role leadership",
                language="bash")


def _language_switch() -> None:
    """EN | RU above the form: the sign-in page in the user's language before anything else."""
    st.session_state.setdefault(LANG, current_language())
    st.segmented_control(t("lang.label"), list(LANGUAGES), key=LANG, label_visibility="collapsed",
                         format_func=str.upper, on_change=_chosen_language)


def _chosen_language() -> None:
    if st.session_state.get(LANG) in LANGUAGES:
        st.session_state["lang"] = st.session_state[LANG]
    else:  # a click on the chosen one unselects it: keep the language
        st.session_state[LANG] = current_language()


def _try() -> None:
    """The form's submit: check the name and password before the page is drawn again."""
    name = str(st.session_state.get(NAME) or "").strip()
    password = str(st.session_state.get(PASSWORD) or "")
    st.session_state[PASSWORD] = ""
    if not name or not password:
        st.session_state[REFUSAL] = t("auth.missing")
        return
    try:
        result = users.authenticate(data.engine(), name, password)
        token = sessions.start(data.engine(), result.user.id) if result.ok else None
    except data.OUTAGE_ERRORS:
        st.session_state[REFUSAL] = t("auth.db_down")
        return
    if result.ok:
        _signed_in(result.user, token)
        st.session_state[COOKIE_WRITE] = token
        return
    st.session_state[REFUSAL] = _refusal_text(result)
    st.session_state[RETRY_AT] = result.retry_at if result.refusal != "locked" else None


def _countdown(until: datetime) -> None:
    """"Next try in N s", counted down in the browser, with the sign-in button off until then."""
    left = max(0, int((until - datetime.now(UTC)).total_seconds() + 0.999))
    wait, ready = (json.dumps(t(key, seconds="§")) for key in ("auth.wait", "auth.ready"))
    st.html(f"""<p class="signin-wait" role="status" data-left="{left}"></p><script>
(() => {{
  const end = Date.now() + {left} * 1000, box = document.querySelector(".signin-wait");
  const button = () => document.querySelector('[data-testid="stFormSubmitButton"] button');
  const tick = () => {{
    const left = Math.ceil((end - Date.now()) / 1000), b = button();
    if (!box.isConnected) return clearInterval(timer);
    box.textContent = left > 0 ? {wait}.replace("§", left) : {ready};
    box.dataset.left = Math.max(left, 0);
    if (b) b.disabled = left > 0;
    if (left <= 0) clearInterval(timer);
  }};
  const timer = setInterval(tick, 250);
  tick();
}})();
</script>""", unsafe_allow_javascript=True)


def _refusal_text(result: users.SignIn) -> str:
    now = datetime.now(UTC)
    if result.refusal == "locked":
        when = instant(result.retry_at, city_tz(), current_language(), seconds=False)
        return t("auth.locked", when=when)
    if result.refusal == "disabled":
        return t("auth.disabled")
    if result.refusal == "bad_credentials":
        return t("auth.bad_credentials")
    seconds = int((result.retry_at - now).total_seconds() + 0.999)
    return t("auth.wait", seconds=seconds)


def _single_sign_on() -> None:
    """Through the city's identity provider; its e-mail must name one of our users."""
    st.title(t("auth.title"))
    _notice()
    if st.session_state.get(SSO_EXPIRED) or not st.user.get("is_logged_in"):
        # After an idle expiry the provider's cookie still vouches for the user: leave it first.
        action = st.logout if st.session_state.get(SSO_EXPIRED) else st.login
        st.button(t("auth.sso"), type="primary", icon=":material/login:", on_click=action)
        return
    email = str(st.user.get("email") or "")
    try:
        with data.engine().connect() as conn:
            user = users.find_by_email(conn, email) if email else None
    except data.OUTAGE_ERRORS:
        st.error(t("auth.db_down"), icon=":material/warning:")
        return
    if user is None or user.disabled:
        log.warning("single sign-on: %s is not an enabled user", email or "(no e-mail)")
        st.error(t("auth.sso_unknown", email=email or "—"), icon=":material/block:")
        st.button(t("auth.sign_out"), icon=":material/logout:", on_click=st.logout)
        return
    _signed_in(user)
    st.rerun()
