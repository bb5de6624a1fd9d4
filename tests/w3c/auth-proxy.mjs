// A loopback HTTPS proxy for the W3C suites, in front of the plain-HTTP server: adds
// `Authorization: Bearer $TOKEN` to every request that has none, and appends each exchange to
// $LOG as one JSON line, so a failing test can be matched with what the server answered.
// HTTPS because the VC 2.0 suite treats http:// endpoints differently from every hosted
// implementation (no headers, and the VC-API `{"verifiableCredential": …}` answer is not
// unwrapped); the suites' client accepts a self-signed certificate.
// Env: UPSTREAM (http://127.0.0.1:PORT), LISTEN_PORT, TOKEN, LOG, TLS_CERT, TLS_KEY (PEM files).
// Prints "listening <port>".
import {appendFileSync, readFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const upstream = new URL(process.env.UPSTREAM);
const token = process.env.TOKEN;
const log = process.env.LOG;
const clip = s => (s.length > 20000 ? s.slice(0, 20000) + '…' : s);

const tls = {
  cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY)
};
const server = https.createServer(tls, (req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = {...req.headers, host: upstream.host};
    if(!headers.authorization) {
      headers.authorization = `Bearer ${token}`;
    }
    headers['content-length'] = body.length;
    const up = http.request({
      host: upstream.hostname, port: upstream.port, path: req.url,
      method: req.method, headers
    }, upRes => {
      const out = [];
      upRes.on('data', c => out.push(c));
      upRes.on('end', () => {
        const answer = Buffer.concat(out);
        if(log) {
          appendFileSync(log, JSON.stringify({
            time: new Date().toISOString(), method: req.method, path: req.url,
            request: clip(body.toString('utf8')), status: upRes.statusCode,
            response: clip(answer.toString('utf8'))
          }) + '\n');
        }
        res.writeHead(upRes.statusCode, upRes.headers);
        res.end(answer);
      });
    });
    up.on('error', e => {
      res.writeHead(502, {'content-type': 'text/plain'});
      res.end(`proxy: ${e.message}`);
    });
    up.end(body);
  });
});
server.listen(Number(process.env.LISTEN_PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
for(const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
