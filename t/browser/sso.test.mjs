// SPDX-License-Identifier: Apache-2.0
// t/browser/sso.test.mjs: single sign-on through mod_auth_jwt in headless
// Chromium. Started by t/browser/run, which sets up the servers and passes
// everything in the environment. Prints TAP.
//
// The browser does what a user does: opens the PHP page, is sent to the
// login page, types into the form and submits it (no JavaScript on the
// pages), reads the page, visits the admin area, waits past the access
// token's lifetime, signs out with the page's button.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => {
    const v = process.env[k];
    if (v === undefined || v === '') {
        console.log(`Bail out! ${k} not set (run t/browser/run)`);
        process.exit(1);
    }
    return v;
};
const BASE = env('AJWT_BASE');
const OTHER = env('AJWT_OTHER');
const CHROMIUM = env('CHROMIUM');
const SHOTS = env('AJWT_SHOTS');
const TTL = Number(env('AJWT_ACCESS_TTL'));
const LEEWAY = Number(env('AJWT_LEEWAY'));
const APP = env('APP_PATH');
const ADMIN = env('ADMIN_PATH');
const LOGIN = env('LOGIN_PATH');
const CGI = env('CGI_PATH');
const POST = env('POST_PATH');
const REFRESH = env('REFRESH_PATH');
const LOGOUT = env('LOGOUT_PATH');
const ROLES_BOB = 'staff', ROLES_ALICE = 'admin,staff';   // site.sh's role file
const STATE = env('AJWT_STATE');
const ALICE = { user: env('AJWT_ALICE'), pw: env('AJWT_ALICE_PW') };
const BOB = { user: env('AJWT_BOB'), pw: env('AJWT_BOB_PW') };
const ACCESS_COOKIE = process.env.AJWT_COOKIE || 'jwt';
const REFRESH_COOKIE = process.env.AJWT_REFRESH_COOKIE || 'jwt_refresh';

// ------------------------------------------------------------------ TAP
let n = 0, failed = 0, page = null;
const t0 = Date.now();
const shot = async (name) => {
    if (!page) return;
    try {
        mkdirSync(SHOTS, { recursive: true });
        const file = join(SHOTS, `${String(n).padStart(2, '0')}-${name
            .replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`#   screenshot: ${file}`);
    } catch (e) {
        console.log(`#   (no screenshot: ${e.message.split('\n')[0]})`);
    }
};
const ok = async (cond, name, why = '') => {
    n++;
    console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
    if (!cond) {
        failed++;
        if (why) console.log(`#   ${why}`);
        if (page) console.log(`#   page: ${page.url()}`);
        await shot(name);
    }
    return cond;
};
const is = (got, want, name) =>
    ok(got === want, name, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
const diag = (s) => console.log(`# ${s}`);
const pathOf = (u) => { const x = new URL(u); return x.pathname; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ steps
// The chain of statuses and paths the browser went through to get where it
// is: [[302, "/app/"], [303, "/auth/session"], [200, "/app/"]].
async function chainOf(resp) {
    const chain = [];
    if (!resp) return chain;
    chain.unshift([resp.status(), pathOf(resp.url())]);
    let req = resp.request().redirectedFrom();
    while (req) {
        const r = await req.response();
        chain.unshift([r ? r.status() : 0, pathOf(req.url())]);
        req = req.redirectedFrom();
    }
    return chain;
}
const fmt = (chain) => chain.map(([s, p]) => `${s} ${p}`).join(' -> ');

const tokens = new Set();     // every token value the browser was given
function remember(c) { if (c && c.value) tokens.add(c.value); return c; }

async function cookie(ctx, name) {
    return remember((await ctx.cookies(BASE)).find((c) => c.name === name) ||
        (await ctx.cookies(BASE + REFRESH)).find((c) => c.name === name));
}
async function allCookies(ctx) {
    // the refresh cookie is scoped to its path: ask for every path we know
    const seen = new Map();
    for (const u of [BASE + '/', BASE + REFRESH, BASE + LOGOUT]) {
        for (const c of await ctx.cookies(u)) seen.set(c.name + c.path, remember(c));
    }
    return [...seen.values()];
}

async function onLoginPage(what) {
    const form = page.locator('form input[name="username"]');
    const onLogin = pathOf(page.url()) === LOGIN && await form.count() === 1;
    return ok(onLogin, what, `at ${page.url()}`);
}

// Each returns the response the form led to, or null (with a "not ok")
// when the page has no such form, so that later steps still run.
async function login(who) {
    if (!await page.locator('form input[name="password"]').count()) {
        await ok(false, `a login form to sign in ${who.user}`, `at ${page.url()}`);
        return null;
    }
    await page.locator('input[name="username"]').fill(who.user);
    await page.locator('input[name="password"]').fill(who.pw);
    const [resp] = await Promise.all([
        page.waitForNavigation(),
        page.locator('form button[type="submit"], form input[type="submit"]')
            .first().click(),
    ]);
    return resp;
}

async function logout() {
    if (!await page.locator(`form[action="${LOGOUT}"]`).count()) {
        await ok(false, 'a sign-out form on the page', `at ${page.url()}`);
        return null;
    }
    const [resp] = await Promise.all([
        page.waitForNavigation(),
        page.locator(`form[action="${LOGOUT}"] button, ` +
                     `form[action="${LOGOUT}"] input[type="submit"]`)
            .first().click(),
    ]);
    return resp;
}

async function text(sel) {
    const l = page.locator(sel);
    return (await l.count()) ? (await l.first().innerText()).trim() : null;
}

// ------------------------------------------------------------------ main
async function main() {
    const profile = mkdtempSync(join(tmpdir(), 'ajwt-chromium-'));
    rmSync(SHOTS, { recursive: true, force: true });
    const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
        timeout: 30000,
    });
    try {
        page = ctx.pages()[0] || await ctx.newPage();
        page.setDefaultTimeout(10000);
        await run(ctx);
    } catch (e) {
        await ok(false, 'the test ran to its end', e.stack || String(e));
    } finally {
        await ctx.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
    }
}

async function run(ctx) {
    let resp, chain;

    // 1. No session: the protected PHP page sends the browser to login,
    //    with the page to come back to.
    resp = await page.goto(BASE + APP);
    chain = await chainOf(resp);
    diag(`GET ${APP}: ${fmt(chain)}`);
    await onLoginPage('without a session the PHP page lands on the login page');
    await is(chain[0] && chain[0][0], 302, 'the protected page answers a browser with 302');
    const ret = new URL(page.url()).searchParams.get('return');
    await is(ret, APP, 'the login page got the return address');
    const hidden = page.locator('form input[name="return"]');
    await is(await hidden.count() ? await hidden.getAttribute('value') : null, APP,
             'which the login page (SSI, no JavaScript) put in its form');

    // 2. A wrong password: refused, no cookie.
    resp = await login({ user: BOB.user, pw: BOB.pw + 'x' });
    await is(resp && resp.status(), 401, 'a wrong password is refused with 401');
    await ok(!(await cookie(ctx, ACCESS_COOKIE)), 'a failed login sets no access cookie');

    // 3. Bob (roles: user) logs in and is sent back to the page.
    //    The address keeps its query string through the round trip.
    const QS = '?tab=a%20b&n=1';
    await page.goto(BASE + APP + QS);
    resp = await login(BOB);
    chain = await chainOf(resp);
    diag(`login as ${BOB.user}: ${fmt(chain)}`);
    await is(chain[0] && chain[0][0], 303, 'the login form answers 303');
    await ok(page.url() === BASE + APP + QS && resp && resp.status() === 200,
             'after login the browser is back on the PHP page, query intact',
             `${fmt(chain)}; at ${page.url()}`);
    await is(await text('#user'), BOB.user, 'the PHP page shows the user name (REMOTE_USER)');
    await is(await text('#roles'), ROLES_BOB, 'the PHP page shows the roles (JWT_CLAIM_roles)');

    const ac = await cookie(ctx, ACCESS_COOKIE);
    await ok(ac && ac.httpOnly && ac.secure && ac.sameSite === 'Strict' && ac.path === '/',
             'access cookie: HttpOnly, Secure, SameSite=Strict, Path=/', JSON.stringify(ac));
    const all = await allCookies(ctx);
    const rc = all.find((c) => c.name === REFRESH_COOKIE);
    await ok(rc && rc.httpOnly && rc.secure && rc.sameSite === 'Strict' &&
             rc.path === REFRESH,
             `refresh cookie: HttpOnly, Secure, SameSite=Strict, Path=${REFRESH}`,
             JSON.stringify(rc));
    // JavaScript of the page cannot read the tokens
    const docCookie = await page.evaluate(() => document.cookie);
    await is(docCookie, '', 'the page\'s JavaScript sees no token (document.cookie empty)');

    resp = await page.goto(BASE + CGI);
    await ok(resp && resp.status() === 200 && await text('#user') === BOB.user &&
             await text('#roles') === ROLES_BOB,
             'the CGI program sees REMOTE_USER and JWT_CLAIM_roles',
             `status ${resp && resp.status()}, user ${await text('#user')}, roles ${await text('#roles')}`);

    // 4. Bob is no admin.
    resp = await page.goto(BASE + ADMIN);
    await is(resp && resp.status(), 403, 'the admin area answers 403 to a non-admin');

    // 4b. The app's own form posts (a same-origin POST carries the cookie
    //     token and passes); the same POST from another origin of this
    //     host (same site: SameSite=Strict cookies ride along) is refused,
    //     and so is a forged sign-out.
    await page.goto(BASE + POST);
    {
        await page.locator('input[name="note"]').fill('hello');
        [resp] = await Promise.all([page.waitForNavigation(),
                                    page.locator('#save').click()]);
        await ok(resp && resp.status() === 200 && await text('#saved') === 'hello',
                 'a same-origin form POST with the cookie token passes (200)',
                 `status ${resp && resp.status()}`);
    }
    await page.goto(OTHER + '/csrf.html');
    [resp] = await Promise.all([page.waitForNavigation(),
                                page.locator('#forge-post').click()]);
    await is(resp && resp.status(), 403,
             'a POST to the app from another origin is refused (403)');
    await ok(!(await page.content()).includes('forged'),
             'and never reaches the application');
    await page.goto(OTHER + '/csrf.html');
    [resp] = await Promise.all([page.waitForNavigation(),
                                page.locator('#forge-logout').click()]);
    await is(resp && resp.status(), 403,
             'a sign-out posted from another origin is refused (403)');
    resp = await page.goto(BASE + APP);
    await ok(resp && resp.status() === 200 && await text('#user') === BOB.user,
             'and the session is still there', `at ${page.url()}`);
    await ok(/AH70043: token refused \(cross-site\)/.test(readLog('error.log')),
             'the refused forgery is logged (AH70043)');

    // 5. Bob signs out; Alice (admin) signs in.
    await page.goto(BASE + APP);
    resp = await logout();
    diag(`sign out: ${fmt(await chainOf(resp))}`);
    await onLoginPage('signing out sends the browser to the login page');
    resp = await login(ALICE);
    // the login page reached by signing out has no return: go to the app
    if (pathOf(page.url()) !== APP) resp = await page.goto(BASE + APP);
    await is(await text('#user'), ALICE.user, 'the admin user is signed in');
    await is(await text('#roles'), ROLES_ALICE, `with her roles ${ROLES_ALICE}`);
    resp = await page.goto(BASE + ADMIN);
    await is(resp && resp.status(), 200, 'the admin area answers 200 to an admin');
    await ok((await page.content()).includes('Admin area') &&
             await text('#user') === ALICE.user, 'and shows the admin page');

    // 6. Past the access token's lifetime: the page is still served, the
    //    module refreshed the session on the way (302 to the refresh path,
    //    303 back) and set a new access cookie.
    const before = await cookie(ctx, ACCESS_COOKIE);
    const rBefore = (await allCookies(ctx)).find((c) => c.name === REFRESH_COOKIE);
    const wait = (TTL + LEEWAY + 2) * 1000;
    diag(`waiting ${wait / 1000} s, past the access token's lifetime (${TTL} s + leeway ${LEEWAY} s)`);
    await sleep(wait);
    resp = await page.goto(BASE + APP);
    chain = await chainOf(resp);
    diag(`GET ${APP} after expiry: ${fmt(chain)}`);
    await ok(resp && resp.status() === 200 && pathOf(page.url()) === APP,
             'after the access token expired the page is still served', fmt(chain));
    await ok(chain.some(([s, p]) => p === REFRESH),
             'by way of the refresh handler', fmt(chain));
    await is(await text('#user'), ALICE.user, 'still as the same user');
    const after = await cookie(ctx, ACCESS_COOKIE);
    await ok(after && (!before || after.value !== before.value),
             'with a new access cookie');
    const rAfter = (await allCookies(ctx)).find((c) => c.name === REFRESH_COOKIE);
    await ok(rAfter && rBefore && rAfter.value !== rBefore.value,
             'and a rotated refresh cookie');

    // 7. Sign out with the page's button: back to login, cookies gone, and
    //    the protected page lands on login again.
    const lastAccess = after && after.value;
    const lastRefresh = (await allCookies(ctx)).find((c) => c.name === REFRESH_COOKIE);
    resp = await logout();
    chain = await chainOf(resp);
    diag(`sign out: ${fmt(chain)}`);
    await is(chain[0] && chain[0][0], 303, 'the sign-out form answers 303');
    await onLoginPage('signing out sends the browser back to the login page');
    const left = (await allCookies(ctx)).filter((c) =>
        [ACCESS_COOKIE, REFRESH_COOKIE].includes(c.name) && c.value !== '');
    await is(left.length, 0, 'both cookies are cleared');
    resp = await page.goto(BASE + APP);
    await onLoginPage('after signing out the PHP page lands on the login page again');

    // 7b. The refresh cookie of the signed-out session, put back into the
    //     browser (as a copy kept by a thief would be), opens nothing:
    //     sign-out revoked its family on the server.
    if (lastRefresh) {
        const { name, value, domain, path } = lastRefresh;
        await ctx.addCookies([{ name, value, domain, path, httpOnly: true,
                                secure: true, sameSite: 'Strict' }]);
        resp = await page.goto(BASE + APP);
        diag(`GET ${APP} with the old refresh cookie: ${fmt(await chainOf(resp))}`);
        await onLoginPage('a refresh cookie of the signed-out session leads to login only');
        await sleep(300);
        await ok(/AH70016: token refused \(revoked\): refresh/.test(readLog('error.log')),
                 'because its family was revoked (AH70016 in the error log)');
    }

    // 8. The access token of the signed-out session is revoked, even when
    //    sent by hand (as a stolen copy would be).
    if (lastAccess) {
        const r = await ctx.request.get(BASE + APP, {
            headers: { Authorization: `Bearer ${lastAccess}`,
                       Accept: 'application/json' },
            maxRedirects: 0,
        });
        await is(r.status(), 401, 'the signed-out access token is refused (401)');
        await sleep(300);   // the log line is written after the answer
        const log = readLog('error.log');
        await ok(/AH70016: token refused \(revoked\): jti/.test(log),
                 'because sign-out revoked it (AH70016 in the error log)');
    }

    // 9. No token ever reaches a log (every cookie value seen above).
    const logs = readLog('error.log') + readLog('access.log');
    const leaked = [...tokens].filter((v) => v.length > 20 &&
        logs.includes(v.split('.').pop()));
    await is(leaked.length, 0, `none of the ${tokens.size} tokens issued appears in the logs`);
}

function readLog(name) {
    try { return readFileSync(join(STATE, 'logs', name), 'utf8'); }
    catch (e) { return ''; }
}

await main();
console.log(`1..${n}`);
diag(`${n - failed} passed, ${failed} failed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
