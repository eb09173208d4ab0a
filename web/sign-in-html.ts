/**
 * A Vite step that writes the sign-in form into index.html as plain HTML with a few lines of
 * inline CSS and script, in both languages from the message catalog (issue 16, point 9): on
 * Fast 3G with a slow CPU the form is usable once the page's ~4 KB arrived, instead of after the
 * app's scripts (~110 KB compressed) and Mantine's styles were fetched and run. The app takes it
 * over when it starts (src/features/boot-sign-in.ts); the service leaves it out for a browser
 * that is signed in (src/api/web.ts, which also allows the inline script by its hash).
 *
 * The entry's stylesheet is turned into a preload, so it no longer holds up the first paint;
 * main.tsx applies it before the app renders.
 */
import type { Plugin } from 'vite';
import { BOOT } from './src/features/boot-sign-in.js';
import { de } from './src/messages/de.js';
import { en } from './src/messages/en.js';

/** The service cuts what lies between these out of the page of a signed-in browser. */
export const SIGN_IN_MARKERS = ['<!--hv-sign-in-->', '<!--/hv-sign-in-->'] as const;

const texts = (catalog: typeof en) => ({
  title: catalog.signIn.title,
  intro: catalog.signIn.intro,
  username: catalog.signIn.username,
  password: catalog.signIn.password,
  submit: catalog.signIn.submit,
  language: catalog.language.label,
});

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Mantine's look in a few rules (sizes, colours of web/src/theme.ts), so the app's form replaces
 * this one without a jump. Scoped to the form's root; the body rules match Mantine's global.css.
 */
const CSS = `
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif,Apple Color Emoji,Segoe UI Emoji;line-height:1.55;font-size:16px;color:#000;background:#fff;-webkit-font-smoothing:antialiased}
#${BOOT.root}{box-sizing:border-box;min-height:100vh;padding:16px;background:#f8f9fa;display:flex;align-items:center;justify-content:center}
#${BOOT.root} *{box-sizing:border-box}
#${BOOT.root} main{width:100%;max-width:420px;background:#fff;border:1px solid #dee2e6;border-radius:8px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.05),rgba(0,0,0,.05) 0 10px 15px -5px,rgba(0,0,0,.04) 0 7px 7px -5px}
#${BOOT.root} form{display:flex;flex-direction:column;gap:16px}
#${BOOT.root} .h{display:flex;justify-content:space-between;align-items:center;gap:16px}
#${BOOT.root} h1{margin:0;font-size:26px;line-height:1.35;font-weight:700}
#${BOOT.root} p{margin:0;font-size:14px;line-height:1.45;color:#676d73}
#${BOOT.root} .l{display:flex;background:#f1f3f5;border-radius:4px;padding:4px}
#${BOOT.root} .l button{font:inherit;font-size:12px;font-weight:600;border:0;background:none;padding:2px 10px;border-radius:4px;color:#495057;cursor:pointer}
#${BOOT.root} .l button[aria-pressed=true]{background:#fff;color:#000;box-shadow:0 1px 3px rgba(0,0,0,.1)}
#${BOOT.root} abbr{text-decoration:none}
#${BOOT.root} label{display:block;font-size:14px;font-weight:600;line-height:1.55}
#${BOOT.root} label span[aria-hidden]{color:#d83838}
#${BOOT.root} input{display:block;width:100%;height:36px;padding:0 12px;font:inherit;font-size:14px;border:1px solid #ced4da;border-radius:4px;background:#fff;color:#000}
#${BOOT.root} input:focus{outline:2px solid #1971c2;outline-offset:2px;border-color:#1971c2}
#${BOOT.root} button[type=submit]{height:36px;width:100%;border:0;border-radius:4px;background:#1971c2;color:#fff;font:inherit;font-size:14px;font-weight:600;cursor:pointer}
#${BOOT.root} button:focus-visible{outline:2px solid #1971c2;outline-offset:2px}
#${BOOT.root}[${BOOT.pending}] button[type=submit]{cursor:progress;opacity:.75}
`
  .trim()
  .replace(/\n/g, '');

/**
 * The page's own script: picks the language as messages/index.ts does (the switch's choice in
 * localStorage, else the browser's first German or English preference), switches it, puts the
 * focus into the user name field, holds a submit until the app takes over, and marks when the
 * form is usable (the bench's clock).
 */
function script(): string {
  const catalog = JSON.stringify({ de: texts(de), en: texts(en) });
  return `(function(){
var T=${catalog},K='hostvault.language',r=document.getElementById('${BOOT.root}');
if(!r)return;
var f=r.querySelector('form'),g=r.querySelector('[role=group]');
function stored(){try{var v=localStorage.getItem(K);return T[v]?v:null}catch(e){return null}}
function browser(){var n=navigator,l=n.languages&&n.languages.length?n.languages:[n.language||''];
for(var i=0;i<l.length;i++){var p=String(l[i]).toLowerCase().split('-')[0];if(p==='de'||p==='en')return p}return 'en'}
function apply(lang){var t=T[lang];document.documentElement.lang=lang;
r.querySelectorAll('[data-t]').forEach(function(e){e.textContent=t[e.getAttribute('data-t')]});
f.setAttribute('aria-label',t.title);g.setAttribute('aria-label',t.language);
g.querySelectorAll('button').forEach(function(b){b.setAttribute('aria-pressed',String(b.getAttribute('data-lang')===lang))})}
apply(stored()||browser());
var u=document.getElementById('${BOOT.username}');if(u&&document.activeElement===document.body)u.focus();
g.addEventListener('click',function(e){var b=e.target.closest('button');if(!b)return;var l=b.getAttribute('data-lang');
try{localStorage.setItem(K,l)}catch(x){}apply(l)});
f.addEventListener('submit',function(e){e.preventDefault();r.setAttribute('${BOOT.pending}','');
f.querySelector('button[type=submit]').setAttribute('aria-busy','true')});
performance.mark('sign-in-form');
})();`.replace(/\n/g, '');
}

/** The form in English; the script puts it into the reader's language before the first paint. */
function html(): string {
  const t = texts(en);
  const languages = (['de', 'en'] as const)
    .map(
      (l) =>
        `<button type="button" data-lang="${l}" aria-pressed="${l === 'en'}"><abbr lang="${l}" title="${escape({ de, en }[l].language[l])}">${l.toUpperCase()}</abbr></button>`,
    )
    .join('');
  const required = '<span aria-hidden="true"> *</span>';
  return [
    SIGN_IN_MARKERS[0],
    `<style>${CSS}</style>`,
    `<div id="${BOOT.root}"><main><form aria-label="${escape(t.title)}">`,
    `<div class="h"><h1 data-t="title">${escape(t.title)}</h1>`,
    `<div role="group" aria-label="${escape(t.language)}" class="l">${languages}</div></div>`,
    `<p data-t="intro">${escape(t.intro)}</p>`,
    `<div><label for="${BOOT.username}"><span data-t="username">${escape(t.username)}</span>${required}</label>`,
    `<input id="${BOOT.username}" name="username" autocomplete="username" required></div>`,
    `<div><label for="${BOOT.password}"><span data-t="password">${escape(t.password)}</span>${required}</label>`,
    `<input id="${BOOT.password}" name="password" type="password" autocomplete="current-password" required></div>`,
    `<button type="submit" data-t="submit">${escape(t.submit)}</button>`,
    `</form></main></div>`,
    `<script>${script()}</script>`,
    SIGN_IN_MARKERS[1],
  ].join('\n');
}

export function signInHtml(): Plugin {
  return {
    name: 'hostvault-sign-in-html',
    transformIndexHtml: {
      order: 'post',
      handler(page) {
        return (
          page
            .replace('<div id="root"></div>', `${html()}\n<div id="root"></div>`)
            // The app's styles load beside the scripts; main.tsx applies them before it renders.
            .replace(
              /<link rel="stylesheet" crossorigin href="([^"]+\.css)">/,
              '<link rel="preload" as="style" crossorigin href="$1" data-app-styles>',
            )
        );
      },
    },
  };
}
