import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface Started {
  child: ChildProcess;
  port: number;
}

/** Starts a built script of this repository (the service or the floor) and resolves with the port it logs. */
export function start(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, script)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"port":(\d+)[^\n]*listening|listening \{"port":(\d+)\}/.exec(out);
      if (m) resolve({ child, port: Number(m[1] ?? m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
}

/** SIGTERM, and wait for the exit. */
export async function stop(p: Started): Promise<void> {
  if (p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
}
