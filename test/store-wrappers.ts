/**
 * Room stores for tests that wrap a real one: everything goes to `inner`, and a subclass changes
 * the one thing its test is about (a commit that fails like a full disk, another secret).
 */
import type { RoomStore } from "../src/core/ports.ts";
import type { RoomEvent } from "../src/protocol/events.ts";

export class DelegatingStore implements RoomStore {
  readonly inner: RoomStore;
  constructor(inner: RoomStore) {
    this.inner = inner;
  }
  get epoch() {
    return this.inner.epoch;
  }
  get secret() {
    return this.inner.secret;
  }
  append(key: string, events: readonly RoomEvent[]) {
    this.inner.append(key, events);
  }
  commit() {
    return this.inner.commit();
  }
  head(key: string) {
    return this.inner.head(key);
  }
  saveRoom(key: string, info: { room: string; topic?: string }) {
    this.inner.saveRoom(key, info);
  }
  recent(key: string, limit: number) {
    return this.inner.recent(key, limit);
  }
  range(key: string, after: number, limit: number) {
    return this.inner.range(key, after, limit);
  }
  before(key: string, before: number, limit: number) {
    return this.inner.before(key, before, limit);
  }
  first(key: string) {
    return this.inner.first(key);
  }
  prune(keep: number, olderThan: number, batch: number) {
    return this.inner.prune(keep, olderThan, batch);
  }
  close() {
    this.inner.close();
  }
}

/** A store whose commit throws while `failing`, as SQLite's does on a full disk; `commits` counts tries. */
export class FailingStore extends DelegatingStore {
  failing = false;
  commits = 0;
  override commit() {
    this.commits++;
    if (this.failing) throw new Error("SQLITE_FULL: database or disk is full");
    return this.inner.commit();
  }
}
