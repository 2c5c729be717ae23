// `make demo` (tests/demo/run.sh BUILD_DIR) on free ports, for the browser suite: the API on
// DEMO_PORT, the partner page on +1, the stranger page on +2. It runs in a process group of its
// own; stop() sends SIGTERM (run.sh stops its httpd and removes its files), SIGKILL after 15 s.
import { spawn } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from './servers.mjs';

const RUN_SH = path.join(REPO_ROOT, 'tests', 'demo', 'run.sh');
const START_TIMEOUT = 90000;

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freeTriple() {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if (await portFree(p) && await portFree(p + 1) && await portFree(p + 2)) return p;
  }
  throw new Error('no three consecutive free ports');
}

function answers(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => { res.resume(); resolve(true); });
    req.on('error', () => resolve(false));
    req.on('timeout', () => { req.destroy(); resolve(false); });
  });
}

let running = null;
export function killDemo() {
  if (running && running.exitCode === null) {
    try { process.kill(-running.pid, 'SIGTERM'); } catch { /* gone */ }
  }
}

export async function startDemo({ build }) {
  const port = await freeTriple();
  const proc = spawn('bash', [RUN_SH, build], {
    env: { ...process.env, DEMO_PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running = proc;
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const demo = {
    port, output: () => out,
    // The pages as run.sh announces them; before it says so, as run.sh makes them.
    partner: `http://127.0.0.1:${port + 1}`,
    stranger: `http://localhost:${port + 2}`,
    api: `http://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
        const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 15000);
        await exited;
        clearTimeout(timer);
      }
      running = null;
      // What the harness said of the demo's httpd when it stopped (tests/demo/run.sh passes it on).
      return out.split('\n').filter((l) => /^harness: (crash|unexpected error-log line):/.test(l));
    },
  };
  const deadline = Date.now() + START_TIMEOUT;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`tests/demo/run.sh exited (${proc.exitCode ?? proc.signalCode}):\n${out.slice(-2000)}`);
    // "demo: ready at URL" once up; until run.sh prints it, the API and the pages answering.
    if (/demo: ready at /.test(out) || (await answers(port) && await answers(port + 1) && await answers(port + 2))) break;
    if (Date.now() > deadline) { await demo.stop(); throw new Error(`the demo did not come up in ${START_TIMEOUT} ms:\n${out.slice(-2000)}`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pick = (re) => { const m = re.exec(out); return m ? m[1].replace(/\/$/, '') : null; };
  demo.partner = pick(/partner page:\s+(https?:\/\/\S+)/) || demo.partner;
  demo.stranger = pick(/stranger page:\s+(https?:\/\/\S+)/) || demo.stranger;
  return demo;
}
