/**
 * The page's stylesheet, served as /assets/app.<hash>.css (the Content-Security-Policy allows
 * no inline style). Small screens first: at 375 px every table reads as a list of cards, one
 * row a card, each value beside its column's name. Colours keep a contrast of 4.5:1 or more.
 */
export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #4a5360; --bg: #ffffff; --panel: #f4f6f8; --line: #c9d1da; --link: #0b57b0;
  --ok-fg: #0b5d1e; --ok-bg: #e2f4e6; --bad-fg: #8a1111; --bad-bg: #fbe4e4; --warn-fg: #6b4700; --warn-bg: #fdf1d6; --info-fg: #123f73; --info-bg: #e3edf9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: break-word; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; font-size: 1.15rem; color: var(--fg); text-decoration: none; }
header.top form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .5rem; }
#entry h2 { margin-top: 1.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
section.panel { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; background: var(--bg); }
.note { color: var(--muted); font-size: .9rem; margin: .25rem 0 .5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
/* Label values can be long and unbroken (hostile ones too): they wrap anywhere rather than widen the page. */
td.text, dd, pre { overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .5rem; overflow-x: auto; white-space: pre-wrap; max-height: 30rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: .85rem; font-weight: 600; white-space: nowrap; }
.badge.ok { color: var(--ok-fg); background: var(--ok-bg); }
.badge.bad { color: var(--bad-fg); background: var(--bad-bg); }
.badge.warn { color: var(--warn-fg); background: var(--warn-bg); }
.badge.info { color: var(--info-fg); background: var(--info-bg); }
button, .button { font: inherit; white-space: nowrap; min-height: 44px; min-width: 44px; padding: .4rem .9rem; border-radius: 4px; border: 1px solid #0b57b0; background: #0b57b0; color: #fff; cursor: pointer; }
button.secondary { background: var(--bg); color: #0b57b0; }
button[disabled] { opacity: .6; cursor: progress; }
form.inline { display: inline; margin: 0; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input[type=password], input[type=text] { font: inherit; width: 100%; max-width: 28rem; min-height: 44px; padding: .4rem .5rem; border: 1px solid #6b7682; border-radius: 4px; }
.login { max-width: 30rem; margin: 2rem auto; }
.message { border-left: 4px solid var(--info-fg); background: var(--info-bg); padding: .5rem .75rem; margin: .5rem 0; }
.message.error { border-color: var(--bad-fg); background: var(--bad-bg); color: var(--bad-fg); }
.message:empty { display: none; }
.htmx-request button[type=submit], button.htmx-request { opacity: .6; }
@media (max-width: 40rem) {
  main { padding: .5rem; }
  section.panel { padding: .5rem .6rem; }
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .6rem; padding: .25rem 0; }
  table.cards td { position: relative; border: 0; padding: .2rem .5rem .2rem 7.5rem; min-height: 1.9rem; overflow-wrap: anywhere; }
  table.cards td::before { content: attr(data-label); position: absolute; left: .5rem; width: 6.5rem; font-weight: 600; color: var(--muted); }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;
