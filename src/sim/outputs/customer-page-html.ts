import { CUSTOMER_PAGE_SCRIPT } from "./customer-page-script.js";

const STYLE = `
:root { color-scheme: light dark; --accent: #c0392b; --muted: #777; --line: #8884; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
select { max-width: 24rem; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.2rem; margin: 0 auto 0 0; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 4px; background: none; color: inherit; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button[type=submit], #checkout, [data-act=accept], [data-act=ready] { background: var(--accent); color: #fff; border-color: var(--accent); }
button.chosen { outline: 2px solid var(--accent); }
button.danger { border-color: var(--accent); color: var(--accent); }
button.small { padding: 0 .4rem; font-size: .85rem; }
.muted { color: var(--muted); }
.columns { display: grid; grid-template-columns: 1fr 22rem; gap: 1.5rem; align-items: start; }
ul.plain { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
#menu { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .8rem; }
#menu h2 { grid-column: 1 / -1; margin: .5rem 0 0; font-size: 1.05rem; }
form.item { border: 1px solid var(--line); border-radius: 6px; padding: .6rem; display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
form.item h3 { width: 100%; margin: 0; font-size: 1rem; }
fieldset.toppings { width: 100%; border: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0 .8rem; font-size: .9rem; }
fieldset.toppings legend { color: var(--muted); font-size: .8rem; }
input[name=quantity] { width: 3.5rem; }
aside { border: 1px solid var(--line); border-radius: 6px; padding: .8rem; }
aside h2 { margin: 0 0 .4rem; font-size: 1.05rem; }
fieldset#details { border: none; padding: 0; margin: 0 0 .6rem; display: grid; gap: .3rem; }
label.field { display: grid; font-size: .85rem; color: var(--muted); }
#cart-lines { list-style: none; padding: 0; margin: .4rem 0; }
#cart-lines li { display: grid; grid-template-columns: 1fr auto auto; gap: .4rem; padding: .2rem 0; border-bottom: 1px dashed var(--line); }
.total { font-weight: 600; display: flex; justify-content: space-between; margin: .4rem 0 .8rem; }
#message { min-height: 1.4rem; margin: 0 0 .6rem; }
#message.error { color: var(--accent); }
#message.ok { color: #2e8b57; }
#steps { list-style: none; display: flex; gap: .3rem; padding: 0; flex-wrap: wrap; }
#steps li { padding: .1rem .5rem; border-radius: 10px; border: 1px solid var(--line); font-size: .85rem; }
#steps li.done { background: #2e8b57; color: #fff; border-color: #2e8b57; }
#steps.stopped li.done { background: var(--accent); border-color: var(--accent); }
#history { font-size: .85rem; color: var(--muted); padding-left: 1.2rem; }
#board-view ul { list-style: none; padding: 0; }
#board-view ul:empty::after, #cart-lines:empty::after { content: "none"; color: var(--muted); }
#board-view li { display: flex; gap: .6rem; align-items: center; padding: .3rem 0; border-bottom: 1px dashed var(--line); }
#board-view li span { min-width: 14rem; }
@media (max-width: 800px) { .columns { grid-template-columns: 1fr; } }
`;

const BODY = `
<header>
  <h1>pizzeria</h1>
  <button type="button" id="tab-order">Order</button>
  <button type="button" id="tab-board">Restaurant board (staff)</button>
</header>
<main>
  <p id="message" role="status" aria-live="polite"></p>
  <section id="order-view">
    <ul id="restaurants" class="plain" aria-label="restaurants"></ul>
    <div class="columns">
      <div id="menu"><p class="muted">Choose a restaurant to see its menu.</p></div>
      <aside>
        <h2>Your cart</h2>
        <fieldset id="details">
          <label class="field">Name <input id="name" autocomplete="name" placeholder="Jane Doe"></label>
          <label class="field">Email <input id="email" type="email" autocomplete="email" placeholder="jane@example.com"></label>
          <label class="field">Phone <input id="phone" type="tel" autocomplete="tel" placeholder="+1 555 0100"></label>
        </fieldset>
        <ul id="cart-lines"></ul>
        <div class="total"><span>Total</span><span data-cart-total>0.00</span></div>
        <label class="field">Order type
          <select id="order-type"><option value="takeout">takeout</option><option value="dine_in">dine in</option><option value="delivery">delivery</option></select>
        </label>
        <label class="field" id="table-field">Table <input id="table" type="number" min="1" max="100" value="1"></label>
        <label class="field" id="address-field">Delivery address <input id="address" autocomplete="street-address" placeholder="12 Via Roma, Napoli"></label>
        <p><button type="button" id="checkout" disabled>Place order</button></p>
        <div id="tracking" hidden>
          <h2 id="tracking-title"></h2>
          <p>Status: <strong data-status-now></strong></p>
          <ol id="steps"></ol>
          <ol id="history"></ol>
        </div>
      </aside>
    </div>
  </section>
  <section id="board-view" hidden>
    <label class="field">Restaurant <select id="board-restaurant"></select></label>
    <p id="board-mode" class="muted"></p>
    <h2>Waiting for an answer</h2>
    <ul id="waiting"></ul>
    <h2>In the kitchen</h2>
    <ul id="kitchen"></ul>
  </section>
</main>`;

/** The whole customer page: markup, style and script in one file, nothing loaded from elsewhere. */
export function customerPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>pizzeria: order a pizza</title>
<style>${STYLE}</style>
</head>
<body>${BODY}
<script>${CUSTOMER_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
