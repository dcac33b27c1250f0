/** Seeds the inventory Durable Object: `worker-run src/scripts/seed.ts [count]` (default 10). */
import { defineScript } from "vite-plugin-worker-run/script";
import { INVENTORY_NAME } from "../index";

export default defineScript<Env>(async ({ env, args }) => {
  const count = Number(args[0] ?? 10);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Expected a positive whole number of items to insert, got ${JSON.stringify(args[0])}.`);
  }
  const inventory = env.INVENTORY.getByName(INVENTORY_NAME);
  const names = Array.from({ length: count }, (_, index) => `Item ${index + 1}`);
  const total = await inventory.addItems(names);
  console.log(`Inserted ${count} items.`);
  return { inserted: count, total };
});
