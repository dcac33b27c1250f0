/**
 * Repairs one inventory inside its Durable Object: removes items whose name repeats, keeping
 * the oldest of each. `worker-run --do INVENTORY:main dedupe-items [--dry-run]`
 */
import { defineObjectScript } from "vite-plugin-worker-run/script";
import type { Inventory } from "../inventory";

export default defineObjectScript<Env, Inventory>(async ({ state, instance, args }) => {
  const dryRun = args.includes("--dry-run");
  const duplicates = state.storage.sql
    .exec<{ id: number; name: string }>(
      "SELECT id, name FROM items WHERE id NOT IN (SELECT MIN(id) FROM items GROUP BY name) ORDER BY id",
    )
    .toArray();
  if (!dryRun) {
    // One transaction: the object's other callers never see half a repair.
    state.storage.transactionSync(() => {
      for (const { id } of duplicates) state.storage.sql.exec("DELETE FROM items WHERE id = ?", id);
    });
  }
  console.log(`${dryRun ? "Would remove" : "Removed"} ${duplicates.length} duplicate item(s).`);
  return { removed: dryRun ? 0 : duplicates.length, duplicates: duplicates.map(({ name }) => name), remaining: await instance.countItems() };
});
