import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../services/shared/db.js";
import { ORDER_SCHEMA } from "../../services/order/store.js";
import { orderKey } from "../../services/order/order-numbers.js";

export interface SqliteCeiling {
  /** Orders stored per second, one transaction each (order with its 2 items + status log + outbox row). */
  perTransaction: number;
  /** The same rows, `batch` orders per transaction (what group commit does). */
  grouped: number;
  batch: number;
}

/**
 * What this machine's SQLite does with the order service's writes, WAL + synchronous=NORMAL as the
 * services open it: the database's own ceiling for the accept path, one order per transaction and
 * several per transaction.
 */
export function measureSqliteCeiling(seconds = 1.5, batch = 32): SqliteCeiling {
  const dir = mkdtempSync(join(tmpdir(), "pizzeria-bench-sqlite-"));
  try {
    const run = (perTx: number): number => {
      const db = openDatabase(join(dir, `orders-${perTx}.db`), ORDER_SCHEMA);
      try {
        const insertOrder = db.prepare(
          `INSERT INTO orders (id, number, day, seq, request_id, customer_name, order_type, table_number, delivery_address, total_amount, priority, status, created_at, updated_at, items)
           VALUES (?, ?, '20000101', ?, ?, 'Jane Doe', 'takeout', NULL, NULL, 28.47, 1, 'received', ?, ?, ?)`,
        );
        const insertLog = db.prepare("INSERT INTO order_status_log (order_number, event_id, from_status, status, changed_by, changed_at) VALUES (?, ?, NULL, 'received', 'order-1', ?)");
        const insertOutbox = db.prepare("INSERT OR IGNORE INTO outbox (id, subject, payload, created_at) VALUES (?, ?, ?, ?)");
        const items = JSON.stringify([{ name: "Margherita Pizza", quantity: 2, price: 12.99 }, { name: "Cola", quantity: 1, price: 2.49 }]);
        const payload = JSON.stringify({ id: "x", kind: "placed", data: { customer_name: "Jane Doe", items: JSON.parse(items) } });
        let n = 0;
        const one = () => {
          const i = ++n;
          const number = `ORD_20000101_${String(i).padStart(3, "0")}`;
          const at = new Date().toISOString();
          insertOrder.run(orderKey(number), number, i, `req-${i}`, at, at, items);
          insertLog.run(number, `${number}.placed`, at);
          insertOutbox.run(`${number}.placed`, "pizzeria.order.placed.takeout.order-1", payload, Date.now());
        };
        const tx = db.transaction((k: number) => {
          for (let j = 0; j < k; j++) one();
        });
        const start = performance.now();
        const end = start + seconds * 1000;
        while (performance.now() < end) tx.immediate(perTx);
        return Math.round(n / ((performance.now() - start) / 1000));
      } finally {
        db.close();
      }
    };
    return { perTransaction: run(1), grouped: run(batch), batch };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
