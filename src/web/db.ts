// Conversations kept in the browser's IndexedDB (one object store, keyed by id).
import type { Conversation } from "./types.ts";

const DB = "hearth";
const STORE = "conversations";

let opened: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

async function run<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const store = (await db()).transaction(STORE, mode).objectStore(STORE);
  return new Promise((resolve, reject) => {
    const req = f(store);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function listConversations(): Promise<Conversation[]> {
  const all = await run<Conversation[]>("readonly", (s) => s.getAll());
  return all.sort((a, b) => b.updatedAt - a.updatedAt);
}

export const saveConversation = (c: Conversation) => run("readwrite", (s) => s.put(c)).then(() => undefined);
export const deleteConversation = (id: string) => run("readwrite", (s) => s.delete(id)).then(() => undefined);
