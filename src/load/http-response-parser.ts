/**
The end of one HTTP/1.1 response at a time on a keep-alive connection, and its status: what the
socket sender needs to know when a request is answered and whether the connection can carry the
next one. It keeps no body and only the headers that frame the message (Content-Length,
Transfer-Encoding, Connection), so a response costs a few string operations on the thread that
also paces the load.
*/
export class HttpResponseParser {
  /** The status code of the response being read (0 before its status line). */
  status = 0;
  /** Whether the connection may carry another request after this response (HTTP/1.1 keep-alive, no `Connection: close`). */
  keepAlive = true;
  private state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'until-close' = 'head';
  /** Header bytes (or a chunk-size or trailer line) not yet complete. */
  private partial = '';
  private remaining = 0;

  /**
  Reads `chunk`; true when it completed the response (the parser is then ready for the next one).
  Throws on bytes that are not an HTTP/1.1 response.
  */
  feed(chunk: Buffer): boolean {
    let at = 0;
    while (at < chunk.length) {
      switch (this.state) {
        case 'head': {
          const text = this.partial + chunk.toString('latin1', at);
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) {
            if (text.length > 65_536) throw new Error('response head larger than 64 KiB');
            this.partial = text;
            return false;
          }
          at += end + 4 - this.partial.length;
          this.partial = '';
          this.head(text.slice(0, end));
          // A response without a body ends with its head; an interim one (1xx) is followed by the real one.
          if (this.state === 'head' && this.status !== 0) return this.complete();
          break;
        }
        case 'body': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          at += n;
          if (this.remaining === 0) return this.complete();
          break;
        }
        case 'until-close':
          return false;
        case 'chunk-data': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          at += n;
          if (this.remaining === 0) {
            this.state = 'chunk-end';
            this.remaining = 2;
          }
          break;
        }
        case 'chunk-end': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          at += n;
          if (this.remaining === 0) this.state = 'chunk-size';
          break;
        }
        case 'chunk-size':
        case 'trailer': {
          const nl = chunk.indexOf(10, at);
          if (nl < 0) {
            this.partial += chunk.toString('latin1', at);
            if (this.partial.length > 4096) throw new Error('chunk-size or trailer line longer than 4 KiB');
            return false;
          }
          const line = (this.partial + chunk.toString('latin1', at, nl)).replace(/\r$/, '');
          this.partial = '';
          at = nl + 1;
          if (this.state === 'trailer') {
            if (line === '') return this.complete();
            break;
          }
          const size = parseInt(line.split(';', 1)[0], 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
          if (size === 0) this.state = 'trailer';
          else {
            this.state = 'chunk-data';
            this.remaining = size;
          }
          break;
        }
      }
    }
    return false;
  }

  /** The connection closed: true when that ends a response read until close (one with no length). */
  closed(): boolean {
    if (this.state !== 'until-close') return false;
    this.keepAlive = false;
    this.complete();
    return true;
  }

  /** Whether part of a response has been read (a close now cuts it short). */
  get started(): boolean {
    return this.state !== 'head' || this.partial !== '';
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 40))}`);
    this.status = Number(m[2]);
    this.keepAlive = m[1] === '1';
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon < 0) continue;
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.endsWith('chunked');
      else if (name === 'connection') {
        if (value.includes('close')) this.keepAlive = false;
        else if (value.includes('keep-alive')) this.keepAlive = true;
      }
    }
    // 1xx, 204 and 304 have no body whatever their headers say (RFC 9112 §6.3).
    if (this.status < 200 || this.status === 204 || this.status === 304) this.state = 'head';
    else if (chunked) this.state = 'chunk-size';
    else if (length > 0) {
      this.state = 'body';
      this.remaining = length;
    } else if (length === 0) this.state = 'head';
    else {
      this.state = 'until-close';
      this.keepAlive = false;
    }
    if (this.status < 200 && this.status !== 101) this.status = 0; // an interim response: the real one follows
  }

  private complete(): boolean {
    if (this.status === 0) return false;
    this.state = 'head';
    this.partial = '';
    return true;
  }
}
