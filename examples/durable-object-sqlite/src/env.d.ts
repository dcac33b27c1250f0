interface Env {
  INVENTORY: DurableObjectNamespace<import("./inventory").Inventory>;
}
