/** What the pizzeria sells; `GET /menu` serves it and the load generator draws orders from it. */
export interface MenuItem {
  name: string;
  price: number;
  category: "pizza" | "side" | "drink" | "dessert";
}

export const MENU: readonly MenuItem[] = [
  { name: "Margherita Pizza", price: 12.99, category: "pizza" },
  { name: "Pepperoni Pizza", price: 14.99, category: "pizza" },
  { name: "Quattro Formaggi Pizza", price: 16.5, category: "pizza" },
  { name: "Diavola Pizza", price: 15.49, category: "pizza" },
  { name: "Funghi Pizza", price: 13.99, category: "pizza" },
  { name: "Hawaiian Pizza", price: 14.49, category: "pizza" },
  { name: "Vegetarian Pizza", price: 13.49, category: "pizza" },
  { name: "Family Feast Pizza", price: 34.99, category: "pizza" },
  { name: "Caesar Salad", price: 8.99, category: "side" },
  { name: "Garlic Bread", price: 4.99, category: "side" },
  { name: "Chicken Wings", price: 9.99, category: "side" },
  { name: "Cola", price: 2.49, category: "drink" },
  { name: "Sparkling Water", price: 1.99, category: "drink" },
  { name: "Tiramisu", price: 6.99, category: "dessert" },
];
