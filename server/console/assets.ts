// The console's one style sheet and one script, served from memory: no build step, no CDN, and a Content Security
// Policy that allows nothing else.

export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d232b; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.5rem; background: #1d232b; color: #fff; }
header a { color: #cfe3ff; margin-right: 1rem; }
header .who { margin-left: auto; font-size: .9rem; opacity: .8; }
header form { margin: 0; }
main { padding: 1rem 1.5rem 3rem; max-width: 80rem; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: .5rem 0 1.5rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; font-size: .92rem; }
th { background: #eef1f4; }
.notice { padding: .6rem .9rem; border-radius: 4px; }
.notice.done { background: #e3f6e8; }
.notice.refused { background: #fde8e8; }
.status-active, .status-enabled, .status-succeeded, .status-delivered { color: #17803d; }
.status-paused, .status-retrying, .status-held, .status-pending { color: #a15c00; }
.status-disabled, .status-failed, .status-cancelled { color: #b42318; }
form.inline { display: inline-flex; gap: .3rem; margin: 0 .3rem .3rem 0; }
fieldset { border: 1px solid #d5dae0; background: #fff; margin: 0 0 1rem; }
label { display: block; margin: .5rem 0 .15rem; font-weight: 600; font-size: .9rem; }
input[type=text], input[type=url], input[type=password], input[type=datetime-local], select, textarea { width: 100%; max-width: 40rem; padding: .35rem; font: inherit; }
textarea { min-height: 4.5rem; font-family: ui-monospace, monospace; }
.hint { font-size: .82rem; color: #5b6570; margin: .1rem 0 .4rem; }
pre, code { font-family: ui-monospace, monospace; font-size: .85rem; }
pre { background: #fff; border: 1px solid #e3e6ea; padding: .6rem; overflow-x: auto; }
.secret { font-size: 1rem; background: #fff7d6; padding: .5rem; border: 1px dashed #a15c00; word-break: break-all; }
button { cursor: pointer; }
.danger { color: #b42318; }
`;

// Copies the text of the element a button names: the one piece of the console that needs a script.
export const CONSOLE_JS = `
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const text = document.getElementById(button.dataset.copy)?.textContent ?? '';
  navigator.clipboard.writeText(text).then(() => { button.textContent = 'Copied'; });
});
`;
