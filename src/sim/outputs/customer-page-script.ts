/**
 * The customer page's script, inlined into the page (no bundle, no CDN): plain browser JavaScript
 * that calls the services through the page's own origin (/api/<service>/...). The menu's prices
 * and the cart's totals are the customer service's (the one pricing rule, priceLine); the page
 * only shows them. An order's status and the staff board are live over tracking's GraphQL
 * subscriptions (graphql-sse's distinct connections: an EventSource on GET /graphql).
 *
 * Kept as a string (no backticks or template placeholders inside), so it ships with tsc's output.
 */
export const CUSTOMER_PAGE_SCRIPT = String.raw`(function () {
"use strict";
var $ = function (sel) { return document.querySelector(sel); };
var STEPS = ["received", "paid", "accepted", "cooking", "ready", "completed"];
var state = { restaurants: [], restaurant: null, customer: sessionStorage.getItem("pizzeria.customer"), checkoutKey: null, stream: null, board: null, boardStream: null, boardBusy: false, boardAgain: false };
window.__page = state;

function el(tag, attrs) {
  var node = document.createElement(tag);
  for (var k in attrs || {}) {
    if (k === "text") node.textContent = attrs[k];
    else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
    else if (attrs[k] !== false && attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
  }
  for (var i = 2; i < arguments.length; i++) if (arguments[i]) node.append(arguments[i]);
  return node;
}
function money(n) { return Number(n).toFixed(2); }
function say(text, kind) { var m = $("#message"); m.textContent = text || ""; m.className = kind || ""; }
function reason(status, d) {
  if (d && d.field && d.reason) return d.field + " " + d.reason;
  return (d && d.message) || ("HTTP " + status);
}
async function api(method, path, body, headers) {
  var init = { method: method, headers: Object.assign({ accept: "application/json" }, headers || {}) };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  var res = await fetch("/api/" + path, init);
  var text = await res.text();
  var data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
  if (!res.ok) { var err = new Error(reason(res.status, data)); err.status = res.status; err.body = data; throw err; }
  return data;
}
// A subscription that outlives a tracking restart: EventSource reconnects by itself after a dropped
// stream, and one refused outright (a 502 while tracking is down) is opened again a moment later.
function subscribe(query, variables, onNext, onOpen) {
  var url = "/api/tracking/graphql?query=" + encodeURIComponent(query) + "&variables=" + encodeURIComponent(JSON.stringify(variables));
  var handle = { es: null, closed: false, close: function () { handle.closed = true; if (handle.es) handle.es.close(); } };
  function open() {
    if (handle.closed) return;
    var es = new EventSource(url);
    handle.es = es;
    es.addEventListener("next", function (e) {
      var d = JSON.parse(e.data);
      if (d.errors) say(d.errors[0].message, "error");
      if (d.data) onNext(d.data);
    });
    es.addEventListener("complete", function () { handle.close(); });
    es.addEventListener("open", function () { if (onOpen) onOpen(); });
    es.addEventListener("error", function () { if (es.readyState === EventSource.CLOSED && !handle.closed) setTimeout(open, 2000); });
  }
  open();
  return handle;
}
function rid(id) { return encodeURIComponent(id); }

// ---- restaurants and the menu ----
async function loadRestaurants() {
  try {
    state.restaurants = await api("GET", "restaurant/restaurants");
  } catch (err) {
    say("Waiting for the restaurants: " + err.message, "error");
    setTimeout(loadRestaurants, 1000);
    return;
  }
  say("");
  var list = $("#restaurants");
  list.replaceChildren();
  var board = $("#board-restaurant");
  board.replaceChildren(el("option", { value: "", text: "choose a restaurant" }));
  state.restaurants.forEach(function (r) {
    list.append(el("li", null, el("button", { type: "button", "data-restaurant": r.id, disabled: !r.open, onclick: function () { pickRestaurant(r.id); } },
      el("strong", { text: r.name }), el("span", { class: "muted", text: r.open ? (r.acceptance === "manual" ? " answered by its staff" : " open") : " closed" }))));
    board.append(el("option", { value: r.id, text: r.name + " (" + r.acceptance + ")" }));
  });
  document.body.dataset.ready = "true";
}
async function pickRestaurant(id) {
  var r = state.restaurants.find(function (x) { return x.id === id; });
  var menu;
  try { menu = await api("GET", "restaurant/restaurants/" + rid(id) + "/menu"); } catch (err) { return say(err.message, "error"); }
  state.restaurant = r;
  document.querySelectorAll("#restaurants button").forEach(function (b) { b.classList.toggle("chosen", b.dataset.restaurant === id); });
  var box = $("#menu");
  box.replaceChildren(el("h2", { text: r.name + ": menu" }));
  menu.pizzas.forEach(function (p) { box.append(pizzaForm(menu, p)); });
  menu.sides.concat(menu.drinks).forEach(function (o) { box.append(fixedForm(o)); });
}
function quantityInput() { return el("input", { name: "quantity", type: "number", min: "1", max: "10", value: "1", "aria-label": "quantity" }); }
function pizzaForm(menu, p) {
  var size = el("select", { name: "size", "aria-label": "size" });
  ["S", "M", "L"].forEach(function (s) { size.append(el("option", { value: s, selected: s === "M", text: s + " " + money(p.prices[s]) })); });
  var crust = el("select", { name: "crust", "aria-label": "crust" });
  menu.crusts.forEach(function (c) { crust.append(el("option", { value: c.name, text: c.name + (c.surcharge > 0 ? " +" + money(c.surcharge) : "") })); });
  var toppings = el("fieldset", { class: "toppings" }, el("legend", { text: "toppings" }));
  menu.toppings.forEach(function (t) {
    toppings.append(el("label", null, el("input", { type: "checkbox", name: "topping", value: t.name }), " " + t.name + " +" + money(t.price)));
  });
  var form = el("form", { class: "item pizza", "data-item": p.name }, el("h3", { text: p.name }), size, crust, toppings, quantityInput(), el("button", { type: "submit", text: "Add to cart" }));
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var chosen = Array.from(form.querySelectorAll("input[name=topping]:checked")).map(function (c) { return c.value; });
    addLine({ item: p.name, size: size.value, crust: crust.value, toppings: chosen, quantity: Number(form.quantity.value) });
  });
  return form;
}
function fixedForm(o) {
  var form = el("form", { class: "item fixed", "data-item": o.name }, el("h3", { text: o.name + " " + money(o.price) }), quantityInput(), el("button", { type: "submit", text: "Add to cart" }));
  form.addEventListener("submit", function (e) { e.preventDefault(); addLine({ item: o.name, quantity: Number(form.quantity.value) }); });
  return form;
}

// ---- the customer and the cart ----
async function customerId() {
  if (state.customer) return state.customer;
  var details = { name: $("#name").value, email: $("#email").value, phone: $("#phone").value };
  var c = await api("POST", "customer/customers", details);
  state.customer = c.id;
  sessionStorage.setItem("pizzeria.customer", c.id);
  $("#details").disabled = true;
  return c.id;
}
async function addLine(line) {
  try {
    var id = await customerId();
    var added = await api("POST", "customer/customers/" + rid(id) + "/cart/items", Object.assign({ restaurant_id: state.restaurant.id }, line));
    renderCart(added.cart);
    say("Added " + added.name + ".", "ok");
  } catch (err) {
    if (err.status === 404 && err.body && err.body.error === "customer_not_found") { forgetCustomer(); return addLine(line); }
    say(err.message, "error");
  }
}
function forgetCustomer() { state.customer = null; sessionStorage.removeItem("pizzeria.customer"); $("#details").disabled = false; }
async function refreshCart() {
  if (!state.customer) return renderCart(null);
  try { renderCart(await api("GET", "customer/customers/" + rid(state.customer) + "/cart")); } catch (err) { if (err.status === 404) forgetCustomer(); renderCart(null); }
}
function renderCart(cart) {
  var lines = $("#cart-lines");
  lines.replaceChildren();
  (cart ? cart.lines : []).forEach(function (l) {
    lines.append(el("li", { "data-line": String(l.line) }, el("span", { text: l.quantity + " x " + l.name }), el("span", { class: "price", "data-line-total": "", text: money(l.line_total) }),
      el("button", { type: "button", class: "small", "aria-label": "remove", text: "remove", onclick: function () { removeLine(l.line); } })));
  });
  $("[data-cart-total]").textContent = money(cart ? cart.total_amount : 0);
  $("#checkout").disabled = !cart || cart.lines.length === 0;
}
async function removeLine(line) {
  try { renderCart(await api("DELETE", "customer/customers/" + rid(state.customer) + "/cart/items/" + line)); } catch (err) { say(err.message, "error"); }
}
function newKey() { return window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2); }
function showHandover() {
  var type = $("#order-type").value;
  $("#table-field").hidden = type !== "dine_in";
  $("#address-field").hidden = type !== "delivery";
}
async function checkout() {
  var type = $("#order-type").value;
  var body = { order_type: type };
  if (type === "dine_in") body.table_number = Number($("#table").value);
  if (type === "delivery") body.delivery_address = $("#address").value;
  // One key per order: a retry after an unanswered checkout sends the same one, so it makes one order.
  state.checkoutKey = state.checkoutKey || newKey();
  $("#checkout").disabled = true;
  try {
    var answer = await api("POST", "customer/customers/" + rid(state.customer) + "/cart/checkout", body, { "idempotency-key": state.checkoutKey });
    state.checkoutKey = null;
    say("Order " + answer.order_number + " placed: " + money(answer.total_amount) + ".", "ok");
    track(answer.order_number, answer.total_amount);
    await refreshCart();
  } catch (err) {
    if (err.status && err.status < 500) state.checkoutKey = null; // refused: a corrected order is a new one
    say(err.message + (err.status >= 500 || !err.status ? " (press again: the same order is retried)" : ""), "error");
    $("#checkout").disabled = false;
  }
}

// ---- the order's status, live ----
function track(number, total) {
  if (state.stream) state.stream.close();
  var box = $("#tracking");
  box.hidden = false;
  box.dataset.orderNumber = number;
  $("#tracking-title").textContent = "Order " + number + " (" + money(total) + ")";
  var steps = $("#steps");
  steps.replaceChildren();
  STEPS.forEach(function (s) { steps.append(el("li", { "data-step": s, text: s })); });
  $("#history").replaceChildren();
  setStatus("received");
  var q = "subscription ($n: String!) { orderStatus(number: $n) { status from event changedBy at } }";
  state.stream = subscribe(q, { n: number }, function (data) {
    var c = data.orderStatus;
    // A stream opened again starts with where the order stands: not a change, when the page has it.
    if ($("#history").lastElementChild && $("#tracking").dataset.status === c.status) return;
    setStatus(c.status);
    $("#history").append(el("li", { "data-status": c.status, text: new Date(c.at).toLocaleTimeString() + "  " + c.status + " (" + c.event + " by " + c.changedBy + ")" }));
  });
}
function setStatus(status) {
  $("[data-status-now]").textContent = status;
  $("#tracking").dataset.status = status;
  var at = STEPS.indexOf(status);
  document.querySelectorAll("#steps li").forEach(function (li, i) { li.classList.toggle("done", at >= 0 && i <= at); });
  $("#steps").classList.toggle("stopped", status === "cancelled" || status === "rejected");
}

// ---- the staff's board ----
function pickBoard(id) {
  if (state.boardStream) state.boardStream.close();
  state.board = id || null;
  $("#waiting").replaceChildren();
  $("#kitchen").replaceChildren();
  var r = state.restaurants.find(function (x) { return x.id === id; });
  $("#board-mode").textContent = !r ? "" : r.acceptance === "manual" ? "Manual: paid orders wait here for the staff's answer." : "Automatic: it answers paid orders by itself; only marking ready is the staff's.";
  if (!r) return;
  // Every change of this restaurant's orders redraws the board: it follows the stream, not a clock.
  state.boardStream = subscribe("subscription ($r: String) { orderEvents(restaurant: $r) { orderNumber status } }", { r: id }, refreshBoard, refreshBoard);
}
async function refreshBoard() {
  if (state.boardBusy) { state.boardAgain = true; return; }
  state.boardBusy = true;
  var id = state.board;
  try {
    var waiting = await api("GET", "restaurant/restaurants/" + rid(id) + "/orders?state=waiting");
    var q = "query ($r: String) { a: orders(restaurant: $r, status: accepted, first: 50) { edges { node { number status } } } c: orders(restaurant: $r, status: cooking, first: 50) { edges { node { number status } } } }";
    var g = await api("POST", "tracking/graphql", { query: q, variables: { r: id } }, { accept: "application/graphql-response+json, application/json" });
    if (id !== state.board) return;
    $("#waiting").replaceChildren.apply($("#waiting"), waiting.map(function (o) {
      return el("li", { "data-order": o.order_number }, el("span", { text: o.order_number + " paid " + new Date(o.received_at).toLocaleTimeString() }),
        el("button", { type: "button", "data-act": "accept", text: "Accept", onclick: function () { act(id, o.order_number, "accept"); } }),
        el("button", { type: "button", "data-act": "reject", class: "danger", text: "Reject", onclick: function () { act(id, o.order_number, "reject"); } }));
    }));
    var cooking = g.data ? g.data.a.edges.concat(g.data.c.edges).map(function (e) { return e.node; }) : [];
    $("#kitchen").replaceChildren.apply($("#kitchen"), cooking.map(function (o) {
      return el("li", { "data-order": o.number, "data-status": o.status }, el("span", { text: o.number + " " + o.status }),
        el("button", { type: "button", "data-act": "ready", text: "Mark ready", onclick: function () { act(id, o.number, "ready"); } }));
    }));
  } catch (err) {
    say(err.message, "error");
  } finally {
    state.boardBusy = false;
    if (state.boardAgain) { state.boardAgain = false; refreshBoard(); }
  }
}
async function act(id, number, verb) {
  try {
    var answer = await api("POST", "restaurant/restaurants/" + rid(id) + "/orders/" + rid(number) + "/" + verb);
    say("Order " + number + ": " + (answer.state || answer.status) + ".", "ok");
  } catch (err) {
    say(err.message, "error");
  }
  refreshBoard();
}

// ---- wiring ----
function show(view) {
  $("#order-view").hidden = view !== "order";
  $("#board-view").hidden = view !== "board";
  $("#tab-order").classList.toggle("chosen", view === "order");
  $("#tab-board").classList.toggle("chosen", view === "board");
}
$("#tab-order").addEventListener("click", function () { show("order"); });
$("#tab-board").addEventListener("click", function () { show("board"); });
$("#order-type").addEventListener("change", showHandover);
$("#checkout").addEventListener("click", checkout);
$("#board-restaurant").addEventListener("change", function (e) { pickBoard(e.target.value); });
if (state.customer) $("#details").disabled = true;
showHandover();
show(location.hash === "#board" ? "board" : "order");
loadRestaurants();
refreshCart();
})();`;
