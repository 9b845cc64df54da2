import net from 'node:net';

/**
 * A TCP forwarder in front of Postgres or Redis that a test can cut and restore (the server
 * going away and coming back) or stall and resume (the server still connected but no longer
 * answering), without touching the shared server.
 */
export class TcpProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private pairs = new Set<[net.Socket, net.Socket]>();
  private stalled = false;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async start(port = this.port): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      for (const s of pair) {
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          this.pairs.delete(pair);
        });
        s.on('error', () => undefined);
      }
      this.pairs.add(pair);
      if (!this.stalled) forward(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Stops listening and drops every open connection. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Connections stay open but nothing is forwarded any more (held, not lost) until resume(). */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    for (const pair of this.pairs) forward(pair);
  }
}

function forward([client, upstream]: [net.Socket, net.Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}
