// Opens the HTML timeline report of each capture in headless chromium (Debian's, via playwright-core) and checks
// it as a user would see it. Usage: node report-check.cjs REPORT_DIR CAPTURE...
// REPORT_DIR holds <capture file name>.html and <capture file name>.validate.json (`validate --format json`).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [reportDir, ...captures] = process.argv.slice(2);
const screenshotDir = process.env.SCREENSHOT_DIR;
// The failing flow fixture whose report the README shows.
const SCREENSHOT_OF = 'flow-resume-before-turn.jsonl';

/** The parties a capture has, read independently of the report: client, realtime, each app-server. */
function partiesOf(capture) {
  const text = fs.readFileSync(capture, 'latin1');
  let frames = [];
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      frames = JSON.parse(trimmed).filter((f) => f && typeof f === 'object');
    } catch {
      // A truncated dump: its complete entries still name their servers.
      frames = [...trimmed.matchAll(/"dir"\s*:\s*"(in|out)"\s*,\s*"server_id"\s*:\s*"([^"\\]*)"/g)]
        .map((m) => ({ dir: m[1], server_id: m[2], json: null }));
    }
  } else {
    for (const line of text.split('\n')) {
      try { const f = JSON.parse(line); if (f && typeof f === 'object' && !Array.isArray(f)) frames.push(f); } catch { }
    }
  }
  const parties = new Set(['client']);
  for (const frame of frames) {
    if ('json' in frame && 'dir' in frame) {
      if ((frame.dir === 'in' || frame.dir === 'out') && typeof frame.server_id === 'string') {
        parties.add(frame.server_id);
      }
    } else if (!('servers' in frame && Object.keys(frame).length === 1)) {
      parties.add('app-server');
    }
  }
  return parties;
}

function fail(message) {
  console.error(`report-check: FAIL: ${message}`);
  process.exitCode = 1;
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'report-check-profile-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  let checked = 0;
  try {
    for (const capture of captures) {
      const name = path.basename(capture);
      const html = path.resolve(reportDir, `${name}.html`);
      const validated = JSON.parse(fs.readFileSync(path.join(reportDir, `${name}.validate.json`), 'utf8'));
      const page = await browser.newPage();
      const problems = [];
      page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
      });
      await page.goto(`file://${html}`);
      for (const problem of problems) fail(`${name}: ${problem}`);

      const lanes = await page.$$eval('#lanes [data-party]', (els) => els.map((el) => el.dataset.party));
      const expected = [...partiesOf(capture)].sort();
      if (JSON.stringify([...lanes].sort()) !== JSON.stringify(expected)) {
        fail(`${name}: lanes ${JSON.stringify(lanes)}, expected one per party ${JSON.stringify(expected)}`);
      }
      const marks = await page.$$eval('#timeline .violation', (els) => els.length);
      if (marks !== validated.violations.length) {
        fail(`${name}: ${marks} violation mark(s), the validator reports ${validated.violations.length}`);
      }
      // Each mark sits on the row of its frame (the row's anchor is the frame's line).
      const misplaced = await page.$$eval('#timeline .violation', (els) => els.filter((el) => !el.closest('.row')).length);
      if (misplaced > 0) fail(`${name}: ${misplaced} violation mark(s) outside a frame row`);

      const rows = await page.$$('table.summary tbody tr[data-target]');
      if (validated.violations.length > 0 && rows.length === 0) fail(`${name}: violations but no summary rows`);
      // Click the last summary row (the farthest frame, so the page must scroll) and check its frame is in view.
      if (rows.length > 0) {
        const row = rows[rows.length - 1];
        const target = await row.getAttribute('data-target');
        await page.evaluate(() => window.scrollTo(0, 0));
        await row.click();
        await page.waitForTimeout(100);
        const state = await page.$eval(`[id="${target}"]`, (el) => {
          const box = el.getBoundingClientRect();
          return { top: box.top, bottom: box.bottom, height: window.innerHeight, flash: el.classList.contains('flash') };
        });
        if (!(state.top >= 0 && state.bottom <= state.height && state.flash)) {
          fail(`${name}: clicking the summary row for ${target} did not bring its frame into view (${JSON.stringify(state)})`);
        }
        if (!page.url().endsWith(`#${target}`)) fail(`${name}: the address does not name frame ${target}: ${page.url()}`);
      }
      if (screenshotDir && name === SCREENSHOT_OF) {
        fs.mkdirSync(screenshotDir, { recursive: true });
        await page.evaluate(() => window.scrollTo(0, 0));
        const file = path.join(screenshotDir, `report-${name.replace(/\.[^.]+$/, '')}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`report-check: screenshot ${file}`);
      }
      await page.close();
      checked += 1;
      console.log(`report-check: ok ${name}: ${lanes.length} lane(s), ${marks} violation mark(s)`);
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (checked !== captures.length) fail(`checked ${checked} of ${captures.length} report(s)`);
  if (process.exitCode) console.error('report-check: failures above');
  else console.log(`report-check: ${checked} report(s) pass in chromium`);
})().catch((error) => { console.error(error); process.exit(1); });
