import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import type { RestaurantFigures, WorkerView } from "../../src/sim/telemetry/run-events.js";
import { Kitchen, kitchenLines } from "../../src/tui/components/Kitchen.js";
import { plainLines } from "./frame.js";

const worker = (name: string, restaurant: string, cooked: number): WorkerView => ({
  name,
  restaurant,
  orderTypes: ["dine_in", "takeout", "delivery"],
  state: "idle",
  online: true,
  currentOrder: null,
  currentForMs: null,
  ordersCooked: cooked,
  busyMs: 0,
  heartbeatAgeMs: 100,
});
const figures = (id: string, completed: number, perSecond: number, rejected: number): RestaurantFigures => ({ id, placed: completed + rejected, accepted: completed, rejected, refunded: rejected, completed, cancelled: rejected, completedPerSecond: perSecond });

describe("the kitchen panel with restaurants", () => {
  const workers = [worker("chef_mario", "main", 30), worker("chef_sofia", "napoli", 12), worker("chef_anna", "main", 9)];
  const restaurants = [figures("main", 39, 4, 6), figures("napoli", 12, 2, 1)];

  it("groups the workers under a line per restaurant with its throughput, rejections and refunds", () => {
    const app = render(<Kitchen workers={workers} restaurants={restaurants} rows={10} selected={null} width={80} />);
    const lines = plainLines(app.lastFrame()).map((l) => l.trim());
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["main", "chef_mario", "chef_anna", "napoli", "chef_sofia"]);
    expect(lines[1]).toBe("main  4/s  done 39  rejected 6  refunded 6");
    expect(lines[4]).toBe("napoli  2/s  done 12  rejected 1  refunded 1");
    app.unmount();
  });

  it("keeps the plain list with one restaurant", () => {
    expect(kitchenLines(workers.filter((w) => w.restaurant === "main"), [restaurants[0]])).toEqual([{ worker: workers[0] }, { worker: workers[2] }]);
  });
});
