/**
 * One probe of an http or tcp check. http: GET, 2xx passing, 429 warning,
 * anything else (or no answer within the timeout) critical. tcp: the
 * connection opens within the timeout. Each probe uses a fresh connection
 * and closes it, so a probe never rides on a pooled socket that hides a dead
 * backend.
 */

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { CheckDefinition, Health, Instance } from '../registry/types.ts';

export const DEFAULT_INTERVAL_MS = 5_000;
export const DEFAULT_TIMEOUT_MS = 2_000;

function hostForUrl(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** The URL an http check requests. */
export function checkUrl(check: CheckDefinition, instance: Instance): string {
  if (check.url !== undefined) return check.url;
  return `http://${hostForUrl(instance.address)}:${instance.port}${check.path ?? '/'}`;
}

export function timeoutOf(check: CheckDefinition): number {
  return check.timeoutMs ?? Math.min(check.intervalMs ?? DEFAULT_INTERVAL_MS, DEFAULT_TIMEOUT_MS);
}

export function httpProbe(url: string, timeoutMs: number): Promise<Health> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    let done = false;
    const finish = (h: Health): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(h);
    };
    const req = get(url, { agent: false, headers: { 'user-agent': 'flotilla-health' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status >= 200 && status < 300 ? 'passing' : status === 429 ? 'warning' : 'critical');
    });
    req.on('error', () => finish('critical'));
    const timer = setTimeout(() => finish('critical'), timeoutMs);
  });
}

export function tcpProbe(address: string, timeoutMs: number): Promise<Health> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (h: Health): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(h);
    };
    socket.once('connect', () => finish('passing'));
    socket.once('error', () => finish('critical'));
    const timer = setTimeout(() => finish('critical'), timeoutMs);
  });
}

/** Runs one probe of a check of `instance`. ttl checks are not probed (see ttl tracking). */
export function probe(check: CheckDefinition, instance: Instance): Promise<Health> {
  const timeoutMs = timeoutOf(check);
  if (check.type === 'http') return httpProbe(checkUrl(check, instance), timeoutMs);
  const address = check.address ?? `${hostForUrl(instance.address)}:${instance.port}`;
  return tcpProbe(address, timeoutMs);
}
