// The shop's payments service, in Node with nothing but its standard library. It knows nothing
// of meshproof: it listens on $PORT, on 127.0.0.1, and charges whatever it is asked to.
import { createServer } from 'node:http';

const instance = process.env.MESHPROOF_INSTANCE ?? 'payments';
const server = createServer((req, res) => {
  req.resume();
  const body = JSON.stringify({ charged: true, by: instance });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`payments listening on 127.0.0.1:${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
