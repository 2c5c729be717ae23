// A loopback HTTP proxy that sends every host name to 127.0.0.1, for the engine that has no
// host-resolver override of its own (WebKitGTK: Chromium has --host-resolver-rules, Firefox the
// pref network.dns.forceResolve). The browser keeps the names it was given (Host, Origin, the
// cookie's domain, the TLS server name), only the TCP connection goes to 127.0.0.1:
//
//   plain http: the request in absolute form (GET http://api.test:P/...) is sent on to
//               127.0.0.1:P as it came (method, path, headers, body), the answer back as it came;
//   https:      CONNECT api.test:T opens a TCP tunnel to 127.0.0.1:T; TLS stays end to end
//               between the browser and Apache.
//
//   const proxy = await startProxy()   // proxy.port; proxy.close()
import http from 'node:http';
import net from 'node:net';

const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade']);

export async function startProxy() {
  const sockets = new Set();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const server = http.createServer((req, res) => {
    let target;
    try { target = new URL(req.url); } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('proxy: absolute URL expected\n');
      return;
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    const up = http.request({
      host: '127.0.0.1', port: +target.port || 80, method: req.method, path: target.pathname + target.search,
      headers, agent, timeout: 30000, setHost: false,
    }, (answer) => {
      const out = {};
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const k = answer.rawHeaders[i];
        if (HOP_BY_HOP.has(k.toLowerCase())) continue;
        // Repeated headers (two Access-Control-Allow-Origin, Set-Cookie) stay repeated.
        (out[k] = out[k] || []).push(answer.rawHeaders[i + 1]);
      }
      res.writeHead(answer.statusCode, answer.statusMessage, out);
      answer.pipe(res);
    });
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`proxy: ${e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 30000;
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('connect', (req, client, head) => {
    const port = +(req.url.split(':').pop()) || 443;
    const up = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head && head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.setTimeout(60000, () => up.destroy());
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
