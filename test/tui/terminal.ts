/**
 * A small terminal emulator for tests: enough of a VT100/xterm to replay what Ink writes (text,
 * newlines, cursor moves, erases; colours ignored) and read back what a user would see. Every
 * character is one column wide (as every glyph the dashboard prints is). Like xterm: a line ending
 * in the last column waits to wrap until the next character, a newline on the last row scrolls
 * the top row into the history, cursor moves stop at the edges.
 *
 * Also a fake TTY stdout that feeds it.
 */
import { EventEmitter } from "node:events";

export class Terminal {
  private grid: string[][];
  readonly history: string[] = [];
  row = 0;
  col = 0;
  private wrapPending = false;
  private pending = "";

  constructor(
    public columns: number,
    public rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blankRow());
  }

  private blankRow(): string[] {
    return new Array<string>(this.columns).fill(" ");
  }

  /** What is on the screen, one string per row, trailing spaces removed. */
  screen(): string[] {
    return this.grid.map((r) => r.join("").trimEnd());
  }

  /** The screen without its trailing empty rows. */
  text(): string {
    const lines = this.screen();
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.join("\n");
  }

  /** The history, then the screen. */
  everything(): string[] {
    return [...this.history, ...this.screen()];
  }

  /** Resize like xterm: rows lost at the bottom if blank, else the top ones go to the history; columns cut or padded. */
  resize(columns: number, rows: number): void {
    this.grid = this.grid.map((r) => (columns <= r.length ? r.slice(0, columns) : [...r, ...new Array<string>(columns - r.length).fill(" ")]));
    this.columns = columns;
    while (this.grid.length > rows) {
      const last = this.grid.length - 1;
      if (last > this.row && this.grid[last].every((c) => c === " ")) this.grid.pop();
      else {
        this.history.push(this.grid.shift()!.join("").trimEnd());
        this.row--;
      }
    }
    while (this.grid.length < rows) this.grid.push(this.blankRow());
    this.rows = rows;
    this.row = Math.max(0, Math.min(this.row, rows - 1));
    this.col = Math.min(this.col, columns - 1);
    this.wrapPending = false;
  }

  write(data: string): void {
    const s = this.pending + data;
    this.pending = "";
    let i = 0;
    while (i < s.length) {
      const ch = s[i];
      if (ch === "\u001B") {
        const rest = s.slice(i);
        // CSI: ESC [ params final
        const csi = /^\u001B\[([?>=<]?)([0-9;]*)([ -/]*)([@-~])/.exec(rest);
        if (csi) {
          this.csi(csi[1], csi[2], csi[4]);
          i += csi[0].length;
          continue;
        }
        // OSC: ESC ] ... BEL or ST
        const osc = /^\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/.exec(rest);
        if (osc) {
          i += osc[0].length;
          continue;
        }
        if (rest.length === 1 || /^\u001B\[[0-9;?]*$/.test(rest) || rest.startsWith("\u001B]")) {
          this.pending = rest; // split across writes
          return;
        }
        // Two-character escapes: ESC E (next line), ESC 7 / ESC 8 and others ignored.
        if (rest[1] === "E") this.nextLine(1);
        i += 2;
        continue;
      }
      if (ch === "\n") {
        // A TTY turns \n into \r\n (onlcr).
        this.col = 0;
        this.lineFeed();
        i++;
        continue;
      }
      if (ch === "\r") {
        this.col = 0;
        this.wrapPending = false;
        i++;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const char = String.fromCodePoint(cp);
      i += char.length;
      if (cp < 32) continue;
      this.put(char);
    }
  }

  private put(char: string): void {
    if (this.wrapPending) {
      this.col = 0;
      this.lineFeed();
    }
    this.grid[this.row][this.col] = char;
    if (this.col === this.columns - 1) this.wrapPending = true;
    else this.col++;
  }

  private lineFeed(): void {
    this.wrapPending = false;
    if (this.row === this.rows - 1) {
      this.history.push(this.grid.shift()!.join("").trimEnd());
      this.grid.push(this.blankRow());
    } else this.row++;
  }

  private nextLine(n: number): void {
    this.wrapPending = false;
    this.col = 0;
    this.row = Math.min(this.rows - 1, this.row + n);
  }

  private csi(prefix: string, params: string, final: string): void {
    if (prefix !== "") return; // private modes: ?2026h, ?25l...
    const nums = params === "" ? [] : params.split(";").map((p) => (p === "" ? 0 : Number(p)));
    const n = Math.max(1, nums[0] ?? 1);
    this.wrapPending = false;
    switch (final) {
      case "A":
        this.row = Math.max(0, this.row - n);
        break;
      case "B":
        this.row = Math.min(this.rows - 1, this.row + n);
        break;
      case "C":
        this.col = Math.min(this.columns - 1, this.col + n);
        break;
      case "D":
        this.col = Math.max(0, this.col - n);
        break;
      case "E":
        this.nextLine(n);
        break;
      case "F":
        this.col = 0;
        this.row = Math.max(0, this.row - n);
        break;
      case "G":
        this.col = Math.min(this.columns - 1, n - 1);
        break;
      case "H":
      case "f":
        this.row = Math.min(this.rows - 1, Math.max(1, nums[0] ?? 1) - 1);
        this.col = Math.min(this.columns - 1, Math.max(1, nums[1] ?? 1) - 1);
        break;
      case "K": {
        const mode = nums[0] ?? 0;
        const r = this.grid[this.row];
        const [from, to] = mode === 0 ? [this.col, this.columns] : mode === 1 ? [0, this.col + 1] : [0, this.columns];
        for (let c = from; c < to; c++) r[c] = " ";
        break;
      }
      case "J": {
        const mode = nums[0] ?? 0;
        if (mode === 3) {
          this.history.length = 0;
          break;
        }
        const [from, to] = mode === 0 ? [this.row + 1, this.rows] : mode === 1 ? [0, this.row] : [0, this.rows];
        for (let r = from; r < to; r++) this.grid[r] = this.blankRow();
        if (mode === 0) for (let c = this.col; c < this.columns; c++) this.grid[this.row][c] = " ";
        if (mode === 1) for (let c = 0; c <= this.col; c++) this.grid[this.row][c] = " ";
        break;
      }
      default:
        break; // m (colours) and the rest: nothing to draw
    }
  }
}

/** A fake TTY stdout that draws into a Terminal (and keeps the raw writes). */
export class FakeTTY extends EventEmitter {
  readonly isTTY = true;
  readonly writes: string[] = [];
  readonly terminal: Terminal;

  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
    this.terminal = new Terminal(columns, rows);
  }

  write(chunk: string | Uint8Array, encoding?: unknown, callback?: () => void): boolean {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    this.writes.push(text);
    this.terminal.write(text);
    const cb = typeof encoding === "function" ? (encoding as () => void) : callback;
    cb?.();
    return true;
  }

  /** The terminal window changes size (the terminal first, then the `resize` event, as with SIGWINCH). */
  resize(columns: number, rows: number): void {
    this.terminal.resize(columns, rows);
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}
