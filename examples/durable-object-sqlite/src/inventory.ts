import { DurableObject } from "cloudflare:workers";

/** One stored item (a type, not an interface, so it fits `sql.exec<T extends Record<…>>`). */
export type Item = {
  id: number;
  name: string;
  created_at: string;
};

/** An inventory kept in the Durable Object's own SQLite database, reached over RPC. */
export class Inventory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created_at TEXT NOT NULL)",
    );
  }

  /** Inserts the items (one transaction) and returns how many there are now. */
  async addItems(names: string[]): Promise<number> {
    const now = new Date().toISOString();
    this.ctx.storage.transactionSync(() => {
      for (const name of names) this.ctx.storage.sql.exec("INSERT INTO items (name, created_at) VALUES (?, ?)", name, now);
    });
    return this.countItems();
  }

  /** All items, oldest first. */
  async listItems(): Promise<Item[]> {
    return this.ctx.storage.sql.exec<Item>("SELECT id, name, created_at FROM items ORDER BY id").toArray();
  }

  /** How many items there are. */
  async countItems(): Promise<number> {
    return this.ctx.storage.sql.exec<{ total: number }>("SELECT COUNT(*) AS total FROM items").one().total;
  }
}
