// Browser end-to-end journeys: a real Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against a real `portico serve` with the repo's
// areas.yaml and a fresh data directory.
//
// Every journey runs in its own browser context (own cookies), once in French
// and once in English (the browser's Accept-Language), and fails if the page
// logged a console error, threw, or violated the Content-Security-Policy.
// Every page a journey arrives at is audited: axe-core finds no serious or
// critical accessibility violation, the page has exactly one h1, and at 375 px
// wide it does not scroll sideways. Each journey saves full-page screenshots
// under tests/output/browser/, named with the language.
//
// Run: `.ci/install-browser` once, `cargo build -p portico`, plugins built
// (`.ci/build-plugins`), then `node --test` in tests/browser (`.ci/test` does all this).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PORTICO =
  process.env.PORTICO_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'debug', 'portico');
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
/** axe-core, pinned in package-lock.json; evaluated in each page over CDP, so the strict CSP stays on. */
const AXE_SOURCE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
/** The impacts that fail a page (axe's scale: minor, moderate, serious, critical). */
const FAILING_IMPACTS = ['serious', 'critical'];
/** The narrowest screen the portal must fit without sideways scrolling (a small phone). */
const PHONE_WIDTH_PX = 375;
/** The languages every journey runs in. */
const LANGS = ['fr', 'en'];
/** The host's catalogues: host pages' expected words, in each language. */
const HOST_TEXT = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(join(REPO, 'host', 'i18n', `${l}.json`), 'utf8'))]),
);
const SCREENSHOTS = join(REPO, 'tests', 'output', 'browser');

/** How long the server may take to print its listening line: it compiles the plugins (once: the compile cache keeps them), then seeds the demo through real area calls (about two minutes of a debug build on a loaded 2-core machine). */
const SERVER_START_MS = 420_000;
/** Upper bound of one browser action or navigation: a stuck page fails fast. */
const ACTION_MS = 15_000;

/** Farthest a field's error may sit below its input: room for the field's own one-line hint. */
const MAX_ERROR_GAP_PX = 80;

/** The demo supplier's SIRET (valid Luhn), and one that fails the Luhn check. */
const GOOD_SIRET = '73282932000074';
const BAD_SIRET = '73282932000075';
const PASSWORD = 'correct horse battery staple';

// Flags the machine needs: no sandbox as root, no GPU, and no background
// connections (the network is closed; Chromium would retry them endlessly).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The host's message `key` in `lang`, `{name}` placeholders filled from `args`. */
function hostText(lang, key, args = {}) {
  const text = key.split('.').reduce((o, k) => o?.[k], HOST_TEXT[lang]);
  assert.equal(typeof text, 'string', `host message ${key} missing in ${lang}`);
  return text.replace(/\{([a-z0-9_-]+)\}/g, (_, n) => String(args[n] ?? `{${n}}`));
}

/** A regular expression matching `text` literally. */
function literally(text) {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** The tab labels of areas.yaml in each language (tab order). */
const TABS = {
  fr: { home: 'Accueil', manager: 'Activités du gestionnaire', requests: 'Sollicitations émises', account: 'Mon compte', issued: 'Factures émises' },
  en: { home: 'Logged-in homepage', manager: 'Manager activities', requests: 'Sent requests', account: 'My account', issued: 'Issued invoices' },
};

let server;
let baseUrl;
let browser;
let dataDir;

before(async () => {
  for (const [what, path] of [
    ['portico binary (run `cargo build -p portico`)', PORTICO],
    ['chromium (run `.ci/install-browser`)', CHROMIUM],
    ['homepage plugin (run `.ci/build-plugins`)', join(REPO, 'plugins', 'homepage.wasm')],
  ]) {
    assert.ok(existsSync(path), `missing ${what}: ${path}`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'portico-browser-data-'));
  ({ server, baseUrl } = await startPortico(dataDir));
  // launch() gives Chromium a fresh, empty --user-data-dir of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  for (const dir of [dataDir]) {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts `portico serve` on an ephemeral port; resolves with its URL. */
function startPortico(data) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      PORTICO,
      // `demo`: `serve` with the demo's people and pieces seeded (through
      // real area calls), so every built-in area page has something to show.
      // The browser contexts stand for different people on different
      // machines: each sends its own client address through the loopback
      // "proxy" (see `journey`), so the per-address sign-up budget counts
      // each person, as it would in production.
      [
        'demo', '--listen', '127.0.0.1:0', '--config', join(REPO, 'areas.yaml'), '--data', join(data, 'data'),
        '--trusted-proxy', '127.0.0.1/32',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        // The compile cache the Rust tests share (target/tmp): the Python area is compiled once.
        env: {
          PORTICO_COMPILE_CACHE: join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'tmp', 'compile-cache'),
          ...process.env,
          RUST_LOG: 'warn',
        },
      },
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portico did not print its listening line within ${SERVER_START_MS} ms`));
    }, SERVER_START_MS);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 64 << 10) stderr = stderr.slice(-32 << 10);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`portico exited (code ${code}) before listening:\n${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^Portico listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ server: child, baseUrl: m[1] });
      }
    });
  });
}

/**
 * A fresh browser context and page whose console errors, uncaught exceptions
 * and CSP violations are collected; `finish` asserts there were none and saves
 * the screenshot.
 *
 * `expectedStatuses`: HTTP statuses the journey provokes on purpose for a
 * whole page (422 for a form with errors, 401 for a wrong password). Chromium
 * logs "Failed to load resource … status of 422" for those; that one line is
 * expected when it names a page navigation answered with that status. Any
 * other failed load (a missing stylesheet, a favicon 404) still fails.
 */
let contextCounter = 0;
async function journey(name, { expectedStatuses = [], lang = 'en', audit = true } = {}) {
  contextCounter += 1;
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1100, height: 800 },
    locale: lang === 'fr' ? 'fr-FR' : 'en-GB',
    // This context's own client address (documentation range, RFC 5737).
    extraHTTPHeaders: { 'X-Forwarded-For': `198.51.100.${contextCounter % 250}` },
  });
  context.setDefaultTimeout(ACTION_MS);
  const raw = await context.newPage();
  const consoleErrors = [];
  const problems = [];
  const expectedFailures = new Set();
  raw.on('response', (response) => {
    const request = response.request();
    if (
      request.isNavigationRequest() &&
      request.frame() === raw.mainFrame() &&
      expectedStatuses.includes(response.status())
    ) {
      expectedFailures.add(`${response.status()} ${response.url()}`);
    }
  });
  raw.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push({ text: msg.text(), url: msg.location().url });
  });
  raw.on('pageerror', (err) => problems.push(`uncaught exception: ${err.message}`));
  // CSP violations, reported by the page itself: the binding is installed over
  // CDP, so the strict CSP (no inline script) does not block it.
  await raw.exposeBinding('__porticoCspViolation', (_source, v) => {
    problems.push(`CSP violation: ${v.directive} blocked ${v.blocked} in ${v.source}`);
  });
  await raw.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__porticoCspViolation({
        directive: e.violatedDirective,
        blocked: e.blockedURI || '(inline)',
        source: e.sourceFile || document.location.pathname,
      });
    });
  });
  const auditor = pageAuditor(raw, audit);
  const page = auditor.page;
  const allProblems = () => [
    ...consoleErrors
      .filter(({ text, url }) => {
        const status = text.match(/^Failed to load resource: the server responded with a status of (\d+)/)?.[1];
        return !(status && expectedFailures.has(`${status} ${url}`));
      })
      .map(({ text, url }) => `console error: ${text} (${url})`),
    ...problems,
    ...auditor.problems,
  ];
  return {
    page,
    lang,
    problems: allProblems,
    /** A full-page screenshot of the page as it is, named with the journey's language. */
    async shot(what) {
      await page.screenshot({ path: join(SCREENSHOTS, `${what}-${lang}.png`), fullPage: true });
    },
    async finish({ allowProblems = false } = {}) {
      await auditor.settle();
      await raw.screenshot({ path: join(SCREENSHOTS, `${name}-${lang}.png`), fullPage: true });
      // Let late events (CSP reports are dispatched asynchronously) arrive.
      await raw.waitForTimeout(50);
      await context.close();
      if (!allowProblems) assert.deepEqual(allProblems(), [], `${name}: the page reported problems`);
    },
  };
}

/**
 * Audits every page `raw` arrives at: each `load` marks the page as due, and
 * the audit runs before the journey's next page action (and at its end), so
 * the page is complete and no navigation races it. Returns the page to drive
 * (the same page, whose actions wait for the audit) and the problems found.
 */
function pageAuditor(raw, enabled) {
  const problems = [];
  let due = false;
  let running = null;
  raw.on('load', () => {
    due = enabled;
  });
  const settle = async () => {
    while (due || running) {
      if (running) {
        await running;
        continue;
      }
      due = false;
      running = auditPage(raw, AUDITED)
        .then((found) => problems.push(...found))
        .catch((e) => {
          // A navigation the journey started meanwhile: that page gets its own audit.
          if (!/context was destroyed|navigat|Target .*closed/i.test(String(e))) problems.push(`audit failed: ${e}`);
        })
        .finally(() => {
          running = null;
        });
    }
  };
  const ACTIONS = new Set(['goto', 'click', 'fill', 'selectOption', 'check', 'waitForURL', 'waitForLoadState', 'inputValue', 'screenshot', 'evaluate', 'reload', 'goBack']);
  const AFTER = new Set(['goto', 'waitForURL', 'waitForLoadState', 'reload', 'goBack']);
  const page = new Proxy(raw, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (!ACTIONS.has(prop)) return value.bind(target);
      return async (...args) => {
        await settle();
        const result = await value.apply(target, args);
        if (AFTER.has(prop)) await settle();
        return result;
      };
    },
  });
  return { page, problems, settle };
}

/** Pages audited so far, across journeys: the same page is audited once per language. */
const AUDITED = new Set();

/**
 * One page's audit: exactly one h1, no serious or critical axe-core
 * violation, no sideways scrolling at PHONE_WIDTH_PX. A page already audited
 * (same path but for numbers, same h1 but for names, same language) is not
 * audited again: the journeys pass many times through the same pages.
 */
async function auditPage(page, seen) {
  const where = new URL(page.url()).pathname;
  const h1s = await page.locator('h1').allInnerTexts();
  const shape = where.replace(/[0-9]+/g, '#');
  const key = `${shape} ${h1s.length} ${page.url().includes('?') ? '?' : ''} ${await page.locator('html').getAttribute('lang')} ${await page.locator('.error-summary, .field-error').count()}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const found = [];
  if (h1s.length !== 1) found.push(`${where}: ${h1s.length} h1 elements (${JSON.stringify(h1s)}); a page has exactly one`);
  if ((await page.evaluate(() => typeof window.axe)) === 'undefined') await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (impacts) => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => impacts.includes(v.impact))
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  }, FAILING_IMPACTS);
  found.push(...violations.map((v) => `${where}: axe ${v}`));
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: PHONE_WIDTH_PX, height: viewport.height });
  try {
    const overflow = await page.evaluate(() => {
      const root = document.documentElement;
      if (root.scrollWidth <= root.clientWidth) return null;
      // The outermost elements past the right edge that no scroll container
      // clips: what to fix.
      const clipped = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== 'visible' && getComputedStyle(el).position !== 'absolute') return true;
        }
        return false;
      };
      const past = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (el.getBoundingClientRect().right > root.clientWidth + 1 && !clipped(el)) past.push(el);
      }
      const describe = (el) => `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).trim().replace(/\s+/g, '.')}` : ''}> ${Math.round(el.getBoundingClientRect().right)} px "${(el.textContent || '').trim().slice(0, 40)}"`;
      const widest = past.slice(0, 3).map(describe).join('; ') || '(none outside a scroll container)';
      return { width: root.scrollWidth, widest };
    });
    if (overflow) {
      found.push(`${where}: scrolls sideways at ${PHONE_WIDTH_PX} px (content ${overflow.width} px wide; past the edge: ${overflow.widest})`);
    }
  } finally {
    await page.setViewportSize(viewport);
  }
  return found;
}

/**
 * A SIRET valid under the Luhn rule and unused so far: SIRETs are unique per
 * portal, and the journeys share one server.
 */
let siretCounter = 0;
function freshSiret() {
  siretCounter += 1;
  const body = `4${String(process.pid % 1e6).padStart(6, '0')}${String(siretCounter).padStart(6, '0')}`;
  for (let check = 0; check <= 9; check += 1) {
    const candidate = body + check;
    const sum = [...candidate].reverse().reduce((acc, ch, i) => {
      let d = Number(ch) * (i % 2 === 1 ? 2 : 1);
      if (d > 9) d -= 9;
      return acc + d;
    }, 0);
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable: one check digit always completes a Luhn number');
}

let accountCounter = 0;
/** A unique email per journey: every journey signs up its own person. */
function freshEmail(tag) {
  accountCounter += 1;
  return `${tag}-${process.pid}-${accountCounter}@example.org`;
}

/** Fills and sends the sign-up form; lands on "Check your mailbox". */
async function submitSignUp(page, first, email, lang) {
  await page.goto('/signup');
  await page.fill('#first-name', first);
  await page.fill('#last-name', 'Tester');
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
  assert.equal(await page.locator('main h1').innerText(), hostText(lang, 'account.mailbox-title'));
}

/**
 * The newest link to `path` in the mail the portal wrote to `email` (its
 * mailbox: no SMTP is configured). Mail is written just after the response,
 * so this waits for the file, bounded.
 */
async function mailLink(email, path) {
  const dir = join(dataDir, 'data', 'mailbox');
  for (let i = 0; i < 400; i += 1) {
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.eml')).sort().reverse() : [];
    for (const name of names) {
      // Quoted-printable: join soft line breaks, decode =XX (the link is ASCII).
      const raw = readFileSync(join(dir, name), 'latin1')
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      if (!raw.includes(`\r\nTo: ${email}\r\n`)) continue;
      const m = raw.match(new RegExp(`(http://\\S+${path.replaceAll('/', '\\/')}\\?t=[0-9a-f.]+)`));
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no mail to ${email} with a ${path} link in ${dir}`);
}

/** Opens the confirmation link from the mailbox, confirms, signs in: My account. */
async function confirmAndSignIn(page, email, lang) {
  await page.goto(await mailLink(email, '/email/confirm'));
  await Promise.all([page.waitForURL('**/login?done=confirmed'), page.click('main button[type=submit]')]);
  assert.equal(await page.locator('.notice').innerText(), hostText(lang, 'account.notice-confirmed'));
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL('**/me/my-account'), page.click('main button[type=submit]')]);
}

async function signUp(page, first, email, lang) {
  await submitSignUp(page, first, email, lang);
  await confirmAndSignIn(page, email, lang);
}

async function createStructure(page, siret, name, kind = 'private') {
  await page.selectOption('#identifier-type', 'siret');
  await page.fill('#identifier', siret);
  await page.fill('#name', name);
  await page.selectOption('#kind', kind);
  await Promise.all([
    page.waitForLoadState('load'),
    page.click('form[action$="/structures"] button[type=submit]'),
  ]);
}

/** Labels of the tab bar, in order. */
function tabLabels(page) {
  return page.locator('nav.tabs a').allTextContents().then((t) => t.map((s) => s.trim()));
}

test('the problem detector catches a CSP violation and a console error', async () => {
  const j = await journey('detector-self-check');
  await j.page.goto('/login');
  // An inline script is exactly what the CSP forbids: the violation must be seen.
  await j.page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__ran = true';
    document.head.appendChild(s);
  });
  await j.page.waitForTimeout(200);
  await j.finish({ allowProblems: true });
  assert.ok(
    j.problems().some((p) => p.startsWith('CSP violation: script-src')),
    `the inline script's CSP violation was not detected: ${JSON.stringify(j.problems())}`,
  );
  assert.ok(
    j.problems().some((p) => p.startsWith('console error:')),
    `Chromium's console error for the blocked script was not detected: ${JSON.stringify(j.problems())}`,
  );
});

for (const lang of LANGS) {
  const tabs = TABS[lang];

  test(`[${lang}] sign up, create a structure, see its tabs`, async () => {
    const j = await journey('signup-create-structure', { lang });
    const { page } = j;
    await signUp(page, 'Ada', freshEmail('ada'), lang);
    assert.equal(await page.locator('html').getAttribute('lang'), lang);

    // A newcomer without a structure is invited to create one.
    assert.match(await page.locator('.invitation').innerText(), literally(hostText(lang, 'layout.invitation-title')));
    assert.deepEqual(await tabLabels(page), [tabs.account]);

    const siret = freshSiret();
    await createStructure(page, siret, 'Ateliers Dupont');
    await page.waitForURL(`**/s/${siret}/**`);
    assert.equal(page.url(), `${baseUrl}/s/${siret}/homepage`);
    assert.deepEqual(await tabLabels(page), [tabs.home, tabs.manager, tabs.requests, tabs.account]);
    assert.equal(await page.locator('nav.tabs a[aria-current=page]').innerText(), tabs.home);
    assert.match(await page.locator('main h1').innerText(), /Ada/);
    assert.match(await page.locator('main').innerText(), /Ateliers Dupont/);
    assert.match(await page.locator('main').innerText(), /Primary manager|gestionnaire principal/i);
    assert.equal(await page.locator('.invitation').count(), 0, 'the invitation is gone once in a structure');
    await j.shot('signup-create-structure-homepage');

    // The other tab works and keeps the tab bar.
    await Promise.all([page.waitForURL('**/me/my-account'), page.click(`nav.tabs a:has-text("${tabs.account}")`)]);
    assert.match(await page.locator('table.list').innerText(), /Ateliers Dupont/);
    assert.deepEqual(await tabLabels(page), [tabs.home, tabs.manager, tabs.requests, tabs.account]);
    await j.finish();
  });

  test(`[${lang}] a wrong form shows each field error next to its field`, async () => {
    const j = await journey('wrong-forms', { expectedStatuses: [422], lang });
    const { page } = j;

    // Sign-up with a bad email and a short password: errors beside those inputs.
    await page.goto('/signup');
    await page.fill('#first-name', 'Grace');
    await page.fill('#last-name', 'Tester');
    await page.fill('#email', 'not-an-email');
    await page.fill('#password', 'short');
    await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
    await page.waitForSelector('.error-summary');
    assert.equal(await page.locator('.error-summary').innerText(), hostText(lang, 'form.correct-fields'));
    await assertErrorBeside(page, 'email');
    await assertErrorBeside(page, 'password');
    await assertNoErrorBeside(page, 'first-name');
    assert.equal(await page.inputValue('#email'), 'not-an-email', 'what was typed is kept');
    await j.shot('wrong-forms-signup');

    // Then the create-structure form with a SIRET that fails the Luhn check.
    const graceEmail = freshEmail('grace');
    await page.fill('#email', graceEmail);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL('**/signup'), page.click('main button[type=submit]')]);
    await confirmAndSignIn(page, graceEmail, lang);
    await createStructure(page, BAD_SIRET, 'Wrong Digits SARL');
    assert.ok(page.url().endsWith('/me/my-account/structures'), `stays on the form: ${page.url()}`);
    const message = await assertErrorBeside(page, 'identifier');
    assert.match(message, /SIRET/i);
    await assertNoErrorBeside(page, 'name');
    assert.equal(await page.inputValue('#identifier'), BAD_SIRET, 'the identifier typed is kept');
    assert.equal(await page.inputValue('#name'), 'Wrong Digits SARL', 'the name typed is kept');
    // The summary links to the field.
    assert.equal(await page.locator('.error-summary a[href="#identifier"]').count(), 1);
    await j.finish();
  });

  test(`[${lang}] sign up, confirm the address from the mailbox, then recover a forgotten password`, async () => {
    const j = await journey('signup-confirm-reset', { lang });
    const { page } = j;
    const email = freshEmail('rosalind');
    await submitSignUp(page, 'Rosalind', email, lang);
    assert.match(await page.locator('main').innerText(), literally(email));
    await j.shot('signup-check-mailbox');

    // Signed in before confirming: the notice says what is missing.
    await page.goto('/login');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL('**/me/my-account'), page.click('main button[type=submit]')]);
    assert.match(await page.locator('.verify-email').innerText(), literally(hostText(lang, 'layout.verify-title')));
    await j.shot('signup-unconfirmed');

    // The link from the mailbox: a page with one button, then the address is confirmed.
    await page.goto(await mailLink(email, '/email/confirm'));
    assert.equal(await page.locator('main h1').innerText(), hostText(lang, 'recovery.confirm-title'));
    await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/me/') || u.pathname === '/'), page.click('main button[type=submit]')]);
    await page.waitForURL('**/me/my-account');
    assert.equal(await page.locator('.verify-email').count(), 0, 'the notice is gone once confirmed');

    // Sessions are listed on Sign-in and security.
    await Promise.all([page.waitForURL('**/account/security'), page.click('a.security-link')]);
    assert.match(await page.locator('#session-list').innerText(), literally(hostText(lang, 'security.this-browser')));
    await j.shot('account-security');
    await Promise.all([page.waitForURL('**/login'), page.click('form.logout button')]);

    // Forgotten password: request, link from the mailbox, new password, sign in.
    await Promise.all([page.waitForURL('**/password/forgot'), page.click('a[href="/password/forgot"]')]);
    await page.fill('#email', email);
    await Promise.all([page.waitForURL('**/password/forgot'), page.click('main button[type=submit]')]);
    await page.waitForSelector('.notice-page');
    assert.equal(await page.locator('main h1').innerText(), hostText(lang, 'account.mailbox-title'));
    assert.match(await page.locator('main').innerText(), literally(email));
    await page.goto(await mailLink(email, '/password/reset'));
    const newPassword = 'a brand new passphrase for Rosalind';
    await page.fill('#password', newPassword);
    await Promise.all([page.waitForURL('**/login?done=reset'), page.click('main button[type=submit]')]);
    assert.equal(await page.locator('.notice').innerText(), hostText(lang, 'account.notice-reset'));
    await page.fill('#email', email);
    await page.fill('#password', newPassword);
    await Promise.all([page.waitForURL('**/me/my-account'), page.click('main button[type=submit]')]);
    assert.equal(await page.locator('.who .hello').innerText(), hostText(lang, 'layout.hello', { name: 'Rosalind' }));
    await j.finish();
  });

  test(`[${lang}] a wrong password is refused, the right one signs in`, async () => {
    const setup = await journey('login-setup', { lang, audit: false });
    const email = freshEmail('linus');
    await signUp(setup.page, 'Linus', email, lang);
    await setup.finish();

    const j = await journey('login-wrong-password', { expectedStatuses: [401], lang });
    const { page } = j;
    await page.goto('/login');
    await page.fill('#email', email);
    await page.fill('#password', 'not the password');
    await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
    await page.waitForSelector('.error-summary');
    assert.ok(page.url().endsWith('/login'), `still on the login page: ${page.url()}`);
    assert.equal(await page.locator('.error-summary').innerText(), hostText(lang, 'account.login-wrong'));
    assert.equal(await page.inputValue('#email'), email, 'the email typed is kept');
    assert.equal(await page.inputValue('#password'), '', 'the password is never echoed');
    assert.equal(await page.locator('form.logout').count(), 0, 'not signed in');
    await j.shot('login-wrong-password-refused');

    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL('**/me/my-account'), page.click('main button[type=submit]')]);
    assert.equal(await page.locator('.who .hello').innerText(), hostText(lang, 'layout.hello', { name: 'Linus' }));
    await j.finish();
  });

  test(`[${lang}] logout ends the session`, async () => {
    const j = await journey('logout', { lang });
    const { page } = j;
    await signUp(page, 'Margaret', freshEmail('margaret'), lang);
    const siret = freshSiret();
    await createStructure(page, siret, 'Hamilton Systems');
    await page.waitForURL(`**/s/${siret}/homepage`);
    await Promise.all([page.waitForURL('**/login'), page.click('form.logout button')]);
    assert.equal(await page.locator('form.logout').count(), 0);
    // The old pages now ask to sign in again.
    await page.goto(`/s/${siret}/homepage`);
    assert.ok(new URL(page.url()).pathname === '/login', `redirected to sign in: ${page.url()}`);
    await j.finish();
  });

  test(`[${lang}] a manager adds an area and its tab appears without logging out`, async () => {
    const j = await journey('manager-adds-area', { lang });
    const { page } = j;
    await signUp(page, 'Grace', freshEmail('grace'), lang);
    const siret = freshSiret();
    await createStructure(page, siret, 'Hopper Supplies');
    await page.waitForURL(`**/s/${siret}/homepage`);
    assert.ok(!(await tabLabels(page)).includes(tabs.issued), 'an on-request area is not there before it is added');

    await page.goto(`/s/${siret}/manager-activities/areas`);
    const row = page.locator('table.list tr', { hasText: tabs.issued });
    assert.equal(await row.locator('.badge').count(), 1, 'the area says whether it is added');
    await Promise.all([page.waitForURL(`**/s/${siret}/manager-activities/**`), row.locator('form button[type=submit]').first().click()]);

    // Same session, next page: the tab is there.
    assert.ok((await tabLabels(page)).includes(tabs.issued), `tabs after adding: ${await tabLabels(page)}`);
    assert.equal(await page.locator('form.logout').count(), 1, 'still signed in');
    await Promise.all([
      page.waitForURL(`**/s/${siret}/issued-invoices**`),
      page.click(`nav.tabs a:has-text("${tabs.issued}")`),
    ]);
    assert.equal(await page.locator('.error-panel').count(), 0, 'the new area answers');
    await j.shot('manager-adds-area');
    await j.finish();
  });

  test(`[${lang}] error pages keep the header and the tabs, in the reader's language`, async () => {
    const j = await journey('error-pages', { expectedStatuses: [404], lang });
    const { page } = j;
    await signUp(page, 'Hedy', freshEmail('hedy'), lang);
    const siret = freshSiret();
    await createStructure(page, siret, 'Lamarr Radio');
    await page.waitForURL(`**/s/${siret}/homepage`);
    await page.goto(`/s/${siret}/no-such-area`);
    assert.equal(await page.locator('main h1').innerText(), hostText(lang, 'error.not-found-title'));
    assert.ok((await tabLabels(page)).includes(tabs.home), 'the tab bar stays on an error page');
    assert.equal(await page.locator('form.logout').count(), 1, 'the header stays on an error page');
    await j.shot('error-not-found');
    await j.finish();
  });
}

/**
 * The error for `field` is in the same `.field` block as its input, linked by
 * aria-describedby, and rendered right below it. Returns the message.
 */
async function assertErrorBeside(page, field) {
  const input = page.locator(`#${field}`);
  const error = page.locator(`#${field}-error`);
  assert.equal(await error.count(), 1, `no error element for ${field}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${field} is not marked invalid`);
  assert.ok(
    (await input.getAttribute('aria-describedby')).split(/\s+/).includes(`${field}-error`),
    `${field} is not described by its error`,
  );
  const sameBlock = await page.evaluate((f) => {
    const i = document.getElementById(f);
    const e = document.getElementById(`${f}-error`);
    return i.closest('.field') !== null && i.closest('.field') === e.closest('.field');
  }, field);
  assert.ok(sameBlock, `${field}'s error is not in its field block`);
  const [ib, eb] = [await input.boundingBox(), await error.boundingBox()];
  assert.ok(ib && eb, `${field} or its error is not visible`);
  // Right below the input (a one-line hint may sit between them).
  const gap = eb.y - (ib.y + ib.height);
  assert.ok(gap >= 0 && gap < MAX_ERROR_GAP_PX, `${field}'s error is not right below the input (gap ${gap}px)`);
  assert.ok(Math.abs(eb.x - ib.x) < 40, `${field}'s error is not aligned with the input`);
  const text = (await error.innerText()).trim();
  assert.ok(text.length > 0, `${field}'s error is empty`);
  return text;
}

async function assertNoErrorBeside(page, field) {
  assert.equal(await page.locator(`#${field}-error`).count(), 0, `${field} should have no error`);
  assert.notEqual(await page.locator(`#${field}`).getAttribute('aria-invalid'), 'true');
}

for (const lang of LANGS) {
  test(`[${lang}] an integrator's client is created, a flow is deposited and its report says what happened to the invoice`, async () => {
    const f = (key, args) => areaText('data-flow-overview', lang, key, args);
    const { page, finish } = await journey('flows', { lang });
    const siret = freshSiret();
    await personWithArea(page, lang, 'Nadia', siret, 'Menuiserie Nadia', 'private', 'edi-api-connections');
    await addArea(page, siret, 'data-flow-overview');
    await addArea(page, siret, 'issued-invoices');

    // A client for the Data flow overview, in production; its secret shown once.
    await page.goto(`/s/${siret}/edi-api-connections`);
    await page.fill('#name', 'Compta Pro');
    await page.selectOption('#grant-data-flow-overview', 'read-write');
    await page.check('#mode-production');
    await Promise.all([page.waitForLoadState('load'), page.click('main form[action$="/create"] button[type=submit]')]);
    const secret = await page.locator('#client-secret').innerText();
    assert.ok(secret.length >= 32, `a secret is shown once: ${secret}`);
    await page.goto(`/s/${siret}/edi-api-connections`);
    assert.ok(!(await page.content()).includes(secret), 'never shown again');

    // A UBL invoice of this supplier to the demo's public body, due 71 days
    // after its issue date: integrated, with the legal payment delay said.
    const ubl = readFileSync(join(REPO, 'tests', 'fixtures', 'invoice-ubl.xml'), 'utf8')
      .replaceAll('73282932000074', siret)
      .replace('UBL-2026-001', `FLUX-${siret.slice(-5)}`)
      .replace('<cbc:DueDate>2026-12-20</cbc:DueDate>', '<cbc:DueDate>2027-01-30</cbc:DueDate>');
    await page.goto(`/s/${siret}/data-flow-overview`);
    await page.setInputFiles('#file', { name: 'novembre.xml', mimeType: 'application/xml', buffer: Buffer.from(ubl) });
    await Promise.all([page.waitForURL('**/flow/**'), page.click('main form[action$="/deposit"] button[type=submit]')]);
    const flow = new URL(page.url()).pathname;
    await reloadUntil(page, flow, '#flow-status', f('status.integrated'));
    const report = await page.locator('#report').innerText();
    assert.match(report, literally(f('verdict.receivable-with-errors')));
    assert.match(report, /CHORUS-PAYMENT-DELAY/);
    assert.match(report, lang === 'fr' ? /71 jours/ : /71 days/);
    assert.match(await page.locator('#flow-status').innerText(), /IN_INTEGRE/, 'Chorus Pro\'s code, labelled');

    // The list: the flow in plain words, filterable by status.
    await page.goto(`/s/${siret}/data-flow-overview?status=integrated`);
    assert.match(await page.locator('#flows').innerText(), /novembre\.xml/);
    assert.equal(await page.locator('#chart').count(), 1, 'flows per day, drawn on the server');
    await finish();
  });
}

test('a supplier adds Payment delays (a Python area), corrects a form and sees the interest owed', async () => {
  const j = await journey('payment-delays', { expectedStatuses: [422] });
  const { page } = j;
  await signUp(page, 'Marie', freshEmail('marie'), 'en');
  const siret = freshSiret();
  await createStructure(page, siret, 'Curie Fournitures');
  await page.waitForURL(`**/s/${siret}/homepage`);
  await page.goto(`/s/${siret}/manager-activities/areas`);
  const row = page.locator('table.list tr', { hasText: 'Payment delays' });
  await Promise.all([page.waitForLoadState('load'), row.locator('button', { hasText: 'Add' }).click()]);
  await Promise.all([
    page.waitForURL(`**/s/${siret}/payment-delays`),
    page.click('nav.tabs a:has-text("Payment delays")'),
  ]);
  assert.match(await page.locator('main h1').innerText(), /Payment delays/);

  // A wrong amount and a future date: each error beside its field, the rest kept.
  await page.fill('#number', 'F-2025-031');
  await page.fill('#buyer', 'Ville de Lyon');
  await page.selectOption('#buyer-kind', 'local');
  await page.fill('#amount', '12,345');
  await page.fill('#received-on', '2999-01-01');
  await Promise.all([page.waitForLoadState('load'), page.click('main form[action$="/invoices"] button[type=submit]')]);
  assert.match(await assertErrorBeside(page, 'amount'), /at most two decimals/);
  assert.match(await assertErrorBeside(page, 'received-on'), /in the future/);
  await assertNoErrorBeside(page, 'buyer');
  assert.equal(await page.inputValue('#buyer'), 'Ville de Lyon');

  // Corrected: received 2025-01-10, paid 2025-03-11, 30 days late at 11.15 %.
  await page.fill('#amount', '1 200,00');
  await page.fill('#received-on', '2025-01-10');
  await page.fill('#paid-on', '2025-03-11');
  await Promise.all([page.waitForURL(`**/s/${siret}/payment-delays`), page.click('main form[action$="/invoices"] button[type=submit]')]);
  const claim = page.locator('table.list tbody tr', { hasText: 'F-2025-031' });
  assert.match(await claim.innerText(), /Paid 30 days late/);
  assert.match(await claim.innerText(), /€11\.00|11\.00 €/);
  assert.match(await page.locator('#summary').innerText(), /total claim: (€51\.00|51\.00 €)/);
  assert.equal(await page.locator('a[href$="/claims.csv"]').count(), 1);
  await page.screenshot({ path: join(SCREENSHOTS, 'payment-delays.png'), fullPage: true });
  await j.finish();
});

// ---- the State procedures, in French (issue 13) ------------------------------------

/** An area's catalogue text (plugins/<area>/i18n/<lang>.json), placeholders filled. */
function areaText(area, lang, key, args = {}) {
  const catalogue = JSON.parse(readFileSync(join(REPO, 'plugins', area, 'i18n', `${lang}.json`), 'utf8'));
  const text = key.split('.').reduce((o, k) => o?.[k], catalogue);
  assert.equal(typeof text, 'string', `${area} message ${key} missing in ${lang}`);
  return text.replace(/\{([a-z0-9_-]+)\}/g, (_, n) => String(args[n] ?? `{${n}}`));
}

/** A PDF of about `kb` kB: more than one file part past 190 KiB. */
function pdfBytes(what, kb = 1) {
  return Buffer.concat([
    Buffer.from(`%PDF-1.4\n% ${what}\n`),
    Buffer.alloc(kb * 1000, 'x'),
    Buffer.from('\n%%EOF\n'),
  ]);
}

/** Signs up a new person who creates a structure (private or public) and adds `area` to it. */
async function personWithArea(page, lang, first, siret, name, kind, area) {
  await signUp(page, first, freshEmail(first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')), lang);
  await createStructure(page, siret, name, kind);
  await page.waitForURL(`**/s/${siret}/homepage`);
  await page.goto(`/s/${siret}/manager-activities/areas`);
  await Promise.all([
    page.waitForLoadState('load'),
    page.click(`main form[action$="/areas/add"]:has(input[value="${area}"]) button[type=submit]`),
  ]);
}

/** Signs in as one of the demo's people (host/src/demo), who already has its structure and areas. */
async function signInAs(page, email, password) {
  await page.goto('/login');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
  assert.equal(await page.locator('form.logout').count(), 1, `${email} signs in`);
}

/** Follows the form's link to Manager activities → Bank details and saves them. */
async function addBankDetails(page, holder) {
  await Promise.all([page.waitForLoadState('load'), page.click('#bank-missing a')]);
  await page.fill('#holder', holder);
  await page.fill('#iban', 'FR76 3000 6000 0112 3456 7890 189');
  await page.fill('#bic', 'AGRIFRPP');
  await Promise.all([page.waitForLoadState('load'), page.click('main form[action$="/bank"] button[type=submit]')]);
}

/** Clicks `link`, which downloads a file; resolves with the file's bytes. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
  return readFileSync(await file.path());
}

/** Reloads `url` until `locator` reads `text` (messages between structures are delivered in the background). */
async function reloadUntil(page, url, locator, text) {
  for (let i = 0; i < 100; i += 1) {
    await page.goto(url);
    if ((await page.locator(locator).count()) > 0 && (await page.locator(locator).first().innerText()).includes(text)) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`${url}: ${locator} never read “${text}”`);
}

/** `days` before today, `YYYY-MM-DD` (the portal runs on the real clock here). */
function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

test('[fr] un interprète dépose un mémoire de frais de justice, la juridiction le certifie', async () => {
  const lang = 'fr';
  const t = (key, args) => areaText('justice-costs', lang, key, args);
  // The Tribunal judiciaire de Lyon's structure in the area's referential (data/courts.json).
  const COURT = '11004000200013';
  // The demo seeds it with its clerk (host/src/demo/justice.rs).
  const court = await journey('justice-court', { lang });
  await signInAs(court.page, 'helene.girard@tj-lyon.example', 'demo-court-2026');
  const provider = await journey('justice-provider', { lang, expectedStatuses: [422] });
  const { page } = provider;
  const siret = freshSiret();
  await personWithArea(page, lang, 'Sophie', siret, 'Sophie Martin, interprète', 'private', 'justice-costs');

  // The form, step by step; no requisition attached: the error sits beside its field.
  await page.goto(`/s/${siret}/justice-costs/new`);
  assert.equal(await page.locator('#bank-missing').count(), 1, 'the form says where to add bank details');
  await page.fill('#q', 'Lyon');
  await Promise.all([page.waitForLoadState('load'), page.click('main button[name=op][value=search]')]);
  await page.selectOption('#court', 'tj69123');
  await page.fill('#number', 'M-2026-001');
  await page.selectOption('#decision-kind', 'requisition');
  await page.fill('#decision-reference', 'PV 2026/00123');
  await page.fill('#decision-date', daysAgo(30));
  await page.fill('#mission-end', daysAgo(20));
  await page.check('input[name="vat-option"][value="debits"]');
  await page.fill('#line-label-1', 'Interprétariat en garde à vue, 3 heures');
  await page.fill('#line-amount-1', '1 234,56');
  await page.selectOption('#line-kind-2', 'disbursement');
  await page.fill('#line-label-2', 'Frais de péage');
  await page.fill('#line-amount-2', '18,40');
  await Promise.all([page.waitForLoadState('load'), page.click('main button.primary[type=submit]')]);
  assert.equal(await assertErrorBeside(page, 'doc-requisition'), t('error.doc-requisition'));
  assert.equal(await page.inputValue('#number'), 'M-2026-001', 'nothing typed is lost');

  // Attached (a 400 kB scan: it crosses in several parts), saved: the summary.
  const requisition = pdfBytes('réquisition', 400);
  await page.setInputFiles('#doc-requisition', { name: 'requisition.pdf', mimeType: 'application/pdf', buffer: requisition });
  await Promise.all([page.waitForURL('**/statement/*?done=saved'), page.click('main button.primary[type=submit]')]);
  assert.equal(await page.locator('#status').innerText(), t('status.BROUILLON'));
  const statement = page.url().replace(/\?.*$/, '');

  // Bank details first, from the link the page gives; then send.
  await addBankDetails(page, 'Sophie Martin');
  await page.goto(statement);
  await Promise.all([page.waitForURL('**?done=sent'), page.click('main form[action$="/send"] button[type=submit]')]);
  assert.equal(await page.locator('#status').innerText(), t('status.MISE_A_DISPOSITION'));
  assert.equal(await page.locator('a[href$="/edit"]').count(), 0, 'a statement made available cannot be changed');

  // The jurisdiction: its inbox, the statement, the requisition's very bytes, certified.
  const c = court.page;
  const inbox = `/s/${COURT}/justice-costs`;
  await reloadUntil(c, inbox, '#received', 'M-2026-001');
  await Promise.all([c.waitForLoadState('load'), c.click('#received a:has-text("M-2026-001")')]);
  assert.match(await c.locator('main').innerText(), /Sophie Martin, interprète/);
  const got = await download(c, '#documents a');
  assert.ok(got.equals(requisition), `the jurisdiction downloaded ${got.length} bytes, not the ${requisition.length} attached`);
  await c.check('input[name="action"][value="certify"]');
  await Promise.all([c.waitForURL('**?done=1'), c.click('main form[action$="/decide"] button[type=submit]')]);
  assert.equal(await c.locator('#status').innerText(), t('status.CERTIFIE'));

  // The provider sees the step on the homepage, then on the statement with its date.
  await reloadUntil(page, `/s/${siret}/homepage`, 'main', 'M-2026-001');
  assert.match(await page.locator('main').innerText(), new RegExp(t('status.CERTIFIE')));
  await page.goto(statement);
  assert.equal(await page.locator('#status').innerText(), t('status.CERTIFIE'));
  assert.match(await page.locator('#history').innerText(), new RegExp(t('status.CERTIFIE')));
  await court.finish();
  await provider.finish();
});

test('[fr] une exploitation dépose sa demande de remboursement TIC, la douane la traite', async () => {
  const lang = 'fr';
  const t = (key, args) => areaText('ict-refunds', lang, key, args);
  // The campaigns' customs office (data/rates.json).
  const CUSTOMS = '11000201100044';
  // The demo seeds it with its agent (host/src/demo/ict.rs), and a farm of
  // its own (EARL des Trois Chênes): this journey's farm has another name.
  const customs = await journey('ict-customs', { lang });
  await signInAs(customs.page, 'marc.lefort@douane.example', 'demo-customs-2026');
  const farm = await journey('ict-farm', { lang, expectedStatuses: [422] });
  const { page } = farm;
  const siret = freshSiret();
  await personWithArea(page, lang, 'Anne', siret, 'GAEC du Moulin Neuf', 'private', 'ict-refunds');

  // The form: a fuel invoice without its copy is refused beside the field.
  await page.goto(`/s/${siret}/ict-refunds/new?campaign=2024`);
  await page.selectOption('#category', 'farming-company');
  const rib = pdfBytes('RIB GAEC du Moulin Neuf');
  const copy = pdfBytes('facture GNR', 300);
  await page.setInputFiles('#rib', { name: 'rib.pdf', mimeType: 'application/pdf', buffer: rib });
  await page.fill('#supplier-1', 'Coopérative Agricole du Val');
  await page.fill('#date-1', '2024-03-12');
  await page.selectOption('#product-1', 'gnr');
  await page.fill('#volume-1', '12,5');
  await page.fill('#advances', '50');
  await Promise.all([page.waitForLoadState('load'), page.click('main button.primary[type=submit]')]);
  assert.equal(await assertErrorBeside(page, 'copy-1'), t('error.copy'));
  assert.equal(await page.inputValue('#supplier-1'), 'Coopérative Agricole du Val');

  // With the copy: the refund, line by line, before sending.
  await page.setInputFiles('#rib', { name: 'rib.pdf', mimeType: 'application/pdf', buffer: rib });
  await page.setInputFiles('#copy-1', { name: 'facture-gnr.pdf', mimeType: 'application/pdf', buffer: copy });
  await Promise.all([page.waitForURL('**/request/2024?done=saved'), page.click('main button.primary[type=submit]')]);
  const computation = await page.locator('#computation').innerText();
  assert.match(computation, /Coopérative Agricole du Val/);
  // 18,10 €/hl × 12,5 hl = 226,25 €; minus 50,00 € of advances.
  assert.match(await page.locator('#total-gross').innerText(), /226,25/);
  assert.match(await page.locator('#total-refund').innerText(), /176,25/);
  assert.equal(await page.locator('#rates-illustrative').innerText(), t('rates.illustrative'));

  await addBankDetails(page, 'GAEC du Moulin Neuf');
  const summary = `/s/${siret}/ict-refunds/request/2024`;
  await page.goto(summary);
  await Promise.all([page.waitForURL('**?done=sent'), page.click('main form[action$="/send"] button[type=submit]')]);
  assert.equal(await page.locator('#status').innerText(), t('status.MISE_A_DISPOSITION'));

  // The customs: the request, the RIB and the copy as attached, an adjusted amount with its reason.
  const c = customs.page;
  await reloadUntil(c, `/s/${CUSTOMS}/ict-refunds`, '#received', 'GAEC du Moulin Neuf');
  await Promise.all([c.waitForLoadState('load'), c.click('#received a:has-text("GAEC du Moulin Neuf")')]);
  assert.ok((await download(c, '#rib-file')).equals(rib), 'the RIB as the farm attached it');
  assert.ok((await download(c, '#computation a')).equals(copy), 'the invoice copy as the farm attached it');
  await c.check('input[name="action"][value="adjust"]');
  await c.fill('#amount', '90,00');
  await c.fill('#reason', 'Une partie du gazole a servi hors exploitation.');
  await Promise.all([c.waitForURL('**?done=1'), c.click('main form[action$="/decide"] button[type=submit]')]);
  assert.equal(await c.locator('#status').innerText(), t('status.AJUSTEE'));

  // The farm follows it in its event thread.
  await reloadUntil(page, summary, '#status', t('status.AJUSTEE'));
  assert.match(await page.locator('main').innerText(), /Une partie du gazole a servi hors exploitation\./);
  assert.match(await page.locator('#total-refund').innerText(), /90,00/);
  await customs.finish();
  await farm.finish();
});

// ---- public works and subcontracting, in both languages (issue 12) ------------------

/** Adds one more area to the structure whose Manager activities `page` can open. */
async function addArea(page, siret, area) {
  await page.goto(`/s/${siret}/manager-activities/areas`);
  await Promise.all([
    page.waitForLoadState('load'),
    page.click(`main form[action$="/areas/add"]:has(input[value="${area}"]) button[type=submit]`),
  ]);
}

for (const lang of LANGS) {
  test(`[${lang}] a monthly works statement goes through the firm, the MOE, the MOA and the financial service; a subcontractor's request is validated`, async () => {
    const w = (key, args) => areaText('work-invoices', lang, key, args);
    const v = (key, args) => areaText('invoices-to-validate', lang, key, args);
    const r = (key, args) => areaText('received-invoices', lang, key, args);
    const cast = {};
    for (const [role, first, name, kind] of [
      ['firm', 'Florence', 'Bâtiments Florence', 'private'],
      ['moe', 'Mathieu', "Atelier d'architecture Mathieu", 'private'],
      ['moa', 'Agnès', 'Commune de Villebois', 'public'],
      ['fin', 'Fabrice', 'Service facturier de Villebois', 'public'],
    ]) {
      // 404: a piece opened before it arrived (messages are delivered in the background).
      const j = await journey(`works-${role}`, { lang, expectedStatuses: [422, 404] });
      const siret = freshSiret();
      await personWithArea(j.page, lang, first, siret, name, kind, 'work-invoices');
      cast[role] = { ...j, siret, name };
    }
    // Received invoices comes with every public structure (areas.yaml: install default).
    const { firm, moe, moa, fin } = cast;
    const number = `M-2026-${lang.toUpperCase()}`;

    // The firm sets up the contract's identity sheet once; a wrong MOE SIRET is refused beside its field.
    const f = firm.page;
    await f.goto(`/s/${firm.siret}/work-invoices/contract/new`);
    await f.fill('#number', number);
    await f.fill('#object', "Rénovation de l'aile nord");
    await f.fill('#moe', BAD_SIRET);
    await f.fill('#moa', moa.siret);
    await f.fill('#financial', fin.siret);
    await f.fill('#order_number', 'EJ-2026-0500');
    await Promise.all([f.waitForLoadState('load'), f.click('main button.primary[type=submit]')]);
    await assertErrorBeside(f, 'moe');
    await f.fill('#moe', moe.siret);
    await Promise.all([f.waitForURL('**?done=created'), f.click('main button.primary[type=submit]')]);

    // The monthly draft statement (A4) with its supporting document: the MOE's turn, 7 days.
    await f.fill('#amount', '10000');
    const situation = pdfBytes('situation de travaux n° 1', 250);
    await f.setInputFiles('#documents', { name: 'situation-01.pdf', mimeType: 'application/pdf', buffer: situation });
    await Promise.all([f.waitForURL('**/file/**'), f.click('main form[action$="/deposit"] button[type=submit]')]);
    const filePath = new URL(f.url()).pathname.replace(`/s/${firm.siret}/work-invoices`, '');
    assert.equal(await f.locator('#status').innerText(), w('status.MISE_A_DISPOSITION_MOE'));
    assert.match(await f.locator('#turn').innerText(), literally(moe.name));
    assert.match(await f.locator('#days-left').innerText(), literally(w('days.many', { days: 7 })));
    const at = (who) => `/s/${who.siret}/work-invoices${filePath}`;

    // The MOE corrects the amount (never a refusal for that) and issues the payment statement (A16).
    await reloadUntil(moe.page, at(moe), '#status', w('status.MISE_A_DISPOSITION_MOE'));
    assert.match(await moe.page.locator('#turn').innerText(), literally(w('turn.you')));
    assert.ok((await download(moe.page, '#timeline a')).equals(situation), "the MOE downloads the firm's document as attached");
    await moe.page.fill('#form-statement #amount', '9500');
    await moe.page.fill('#form-statement #comment', 'Lot peinture : 95 % réalisés');
    await Promise.all([moe.page.waitForLoadState('load'), moe.page.click('#form-statement button[type=submit]')]);
    assert.equal(await moe.page.locator('#status').innerText(), w('status.MISE_A_DISPOSITION_MOA'));

    // The MOA validates (A19): the piece goes to the financial service.
    await reloadUntil(moa.page, at(moa), '#status', w('status.MISE_A_DISPOSITION_MOA'));
    await Promise.all([moa.page.waitForLoadState('load'), moa.page.click('#form-validate button[type=submit]')]);
    assert.equal(await moa.page.locator('#status').innerText(), w('status.TRANSMISE_MOA'));

    // The financial service finds it in Received invoices and pays it.
    const invoice = `/s/${fin.siret}/received-invoices/invoice/${firm.siret}/${number}~1`;
    await reloadUntil(fin.page, invoice, 'main h1', number);
    for (const status of ['MISE_A_DISPOSITION_COMPTABLE', 'MISE_EN_PAIEMENT']) {
      await fin.page.check(`input[name="status"][value="${status}"]`);
      await Promise.all([fin.page.waitForLoadState('load'), fin.page.click('main form button[type=submit]')]);
      assert.match(await fin.page.locator('main h1').innerText(), literally(r(`status.${status}`)));
    }

    // Every actor sees the whole file on one timeline: A4, A16, A19, paid.
    await reloadUntil(f, at(firm), '#status', w('status.MISE_EN_PAIEMENT'));
    const timeline = await f.locator('#timeline').innerText();
    for (const code of ['A4', 'A16', 'A19']) assert.match(timeline, literally(w(`piece.${code}`)));
    assert.match(timeline, /9[\s\u202f.,]?500/);

    // Invoices to validate: a subcontractor of the firm asks for payment (A9); the firm validates.
    const sub = await journey('itv-subcontractor', { lang, expectedStatuses: [422] });
    const subSiret = freshSiret();
    await personWithArea(sub.page, lang, 'Sami', subSiret, 'Sami Peinture', 'private', 'invoices-to-validate');
    await addArea(f, firm.siret, 'invoices-to-validate');
    const s = sub.page;
    await s.goto(`/s/${subSiret}/invoices-to-validate/new`);
    await s.selectOption('#framework', 'A9_FACTURE_SOUSTRAITANT');
    await s.fill('#number', `ST-${lang}-001`);
    await s.fill('#date', daysAgo(2));
    await s.fill('#validator', firm.siret);
    await s.fill('#recipient', fin.siret);
    await s.fill('#line-1-designation', 'Peinture des couloirs');
    await s.fill('#line-1-quantity', '1');
    await s.fill('#line-1-unit_price', '2400');
    await s.fill('#line-1-vat_rate', '20');
    const quote = pdfBytes('situation de travaux');
    await s.setInputFiles('#attachments', { name: 'situation.pdf', mimeType: 'application/pdf', buffer: quote });
    await Promise.all([s.waitForURL('**/request/**'), s.click('main button.primary[type=submit]')]);
    const request = s.url().replace(/\?.*$/, '');
    assert.match(await s.locator('#turn').innerText(), literally('Bâtiments Florence'));

    await reloadUntil(f, `/s/${firm.siret}/invoices-to-validate`, 'main', `ST-${lang}-001`);
    await Promise.all([f.waitForLoadState('load'), f.click(`main a:has-text("ST-${lang}-001")`)]);
    assert.ok((await download(f, '#files a')).equals(quote), 'the validator downloads the attachment as sent');
    await Promise.all([f.waitForLoadState('load'), f.click('#validate button[type=submit]')]);
    assert.equal(await f.locator('#confirm-error').count(), 1, 'validating needs the "I am the prime contractor" tick');
    await f.check('#confirm');
    await f.fill('#message', 'Travaux conformes au marché.');
    await Promise.all([f.waitForLoadState('load'), f.click('#validate button[type=submit]')]);
    assert.equal(await f.locator('#status').innerText(), v('vstatus.VALIDEE'));
    await reloadUntil(s, request, 'main', v('status.VALIDEE_1'));

    for (const j of [firm, moe, moa, fin, sub]) await j.finish();
  });
}

/**
 * The demo's people (host/src/demo.rs): a supplier's primary manager, a
 * public body's, a secondary manager and a plain user whose subscription
 * waits. Each one's pages differ (roles, kinds of structure).
 */
const DEMO_PEOPLE = [
  ['claire.martin@ateliers-dupont.example', 'demo-supplier-2026'],
  ['paul.bernard@prefecture.example', 'demo-public-2026'],
  ['ines.roux@ateliers-dupont.example', 'demo-user-2026'],
];
/** Links of an area page followed, per area: the pages one click away (details, forms). */
const LINKS_PER_AREA = 6;
/** Links that download a file rather than show a page. */
const DOWNLOAD = /\.(csv|pdf|xml|zip|json|txt)(\?|$)|\/(download|export|attachments?|files?)(\/|$|\?)/i;

for (const lang of LANGS) {
  // The journeys visit some pages; this visits every built-in area's tab,
  // and the pages its links lead to, as each demo person: each page gets the
  // same audit (one h1, axe-core, no sideways scroll at 375 px).
  test(`[${lang}] every area page of the demo passes the audit`, { timeout: 900_000 }, async () => {
    const j = await journey('demo-area-pages', { lang });
    const { page } = j;
    const visited = [];
    for (const [email, password] of DEMO_PEOPLE) {
      await page.goto('/login');
      await page.fill('#email', email);
      await page.fill('#password', password);
      await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
      assert.equal(await page.locator('form.logout').count(), 1, `${email} signs in`);
      const tabs = await page.locator('nav.tabs a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      // My account and the structure's homepage, then every other tab.
      for (const tab of [...new Set(tabs)]) {
        await page.goto(tab);
        visited.push(tab);
        const shapes = new Set();
        const links = await page
          .locator('main a[href]')
          .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        for (const href of links) {
          const path = href.split('#')[0];
          if (!path.startsWith(`${tab}/`) && !path.startsWith(`${tab}?`)) continue;
          if (DOWNLOAD.test(path)) continue;
          const shape = path.replace(/[0-9]+/g, '#');
          if (shapes.has(shape) || shapes.size >= LINKS_PER_AREA) continue;
          shapes.add(shape);
          await page.goto(path);
          visited.push(path);
        }
      }
      await Promise.all([page.waitForURL('**/login'), page.click('form.logout button')]);
    }
    assert.ok(visited.length >= 20, `the demo's people see many pages: ${visited.join(' ')}`);
    await j.finish();
  });
}
