import { createServer } from 'node:http';

/**
The bench's upstream: the smallest useful HTTP server, in its own process so its CPU never mixes
with the load generator's. Answers every request 200 with a small body, on 127.0.0.1 and a port the
kernel picks, and reports that port to the bench over IPC ({type:'ready', role:'app', port}), the
same message the built-in service sends. Exits when the bench goes away (its IPC channel closes).
*/
const BODY = Buffer.from('ok\n');

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
  res.end(BODY);
});
// Proxies in front keep idle connections for up to a minute (nginx's upstream keepalive_timeout is
// 60s); closing earlier than they would lets a proxy reuse a socket the server just closed.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('upstream: unexpected listen address');
  process.send?.({ type: 'ready', role: 'app', port: address.port });
});

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
