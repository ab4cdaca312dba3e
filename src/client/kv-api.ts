/**
 * `client.kv`: flat keys for dynamic configuration, with compare-and-set
 * (the etcd KV calls, reduced to what the registry holds).
 */

import type { KvValue } from '../registry/types.ts';
import { type CallOptions, defined, type Requester } from './requester.ts';
import type { ReadOptions } from './services-api.ts';
import type { WatchOptions, WatchStream } from './watch-stream.ts';

/** What `kv.get` answers. */
export interface KvGetResponse {
  /** `null` when the key is absent. */
  readonly value: KvValue | null;
  /** The registry's revision when read. */
  readonly revision: number;
  /** Revision of the key's last write; 0 when absent. */
  readonly modRevision: number;
}

/** `client.kv`. */
export class KvApi {
  constructor(private readonly c: Requester) {}

  async put(key: string, value: KvValue, options?: CallOptions): Promise<{ revision: number }> {
    const r = await this.c.request('kv.put', { key, value }, options);
    return { revision: r.revision };
  }

  async get(key: string, options: ReadOptions = {}): Promise<KvGetResponse> {
    const { consistency, ...call } = options;
    const r = await this.c.request('kv.get', defined({ key, consistency }), call);
    return { value: r.value, revision: r.revision, modRevision: r.modRevision };
  }

  /** Writes `value` only if the key holds `expected` (`null`: only if absent). */
  async cas(
    key: string,
    expected: KvValue | null,
    value: KvValue,
    options?: CallOptions,
  ): Promise<{ succeeded: boolean; revision: number }> {
    const r = await this.c.request('kv.cas', { key, expected, value }, options);
    return { succeeded: r.succeeded === true, revision: r.revision };
  }

  async delete(key: string, options?: CallOptions): Promise<{ revision: number; deleted: boolean }> {
    const r = await this.c.request('kv.delete', { key }, options);
    return { revision: r.revision, deleted: r.deleted === true };
  }

  /** Keys starting with `prefix` (every key when absent), sorted. */
  async list(prefix?: string, options: ReadOptions = {}): Promise<{ keys: string[]; revision: number }> {
    const { consistency, ...call } = options;
    const r = await this.c.request('kv.list', defined({ prefix, consistency }), call);
    return { keys: r.keys, revision: r.revision };
  }

  /** Changes of keys starting with `prefix`. */
  watch(prefix: string, options: WatchOptions = {}): WatchStream {
    return this.c.watch({ kinds: ['kv'], keyPrefix: prefix }, options);
  }
}
