import { createServer } from 'node:net';

/** Ports this process has already handed out: each probe closes its port, so the OS may offer it again. */
const handedOut = new Set<number>();

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, never the same one twice in this process
 * (a stack asks for several before it binds any). Another process may take it before the
 * caller binds it: prefer listening on port 0 where the server allows it, and retry otherwise.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the address of a listening socket'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
