/**
 * Imported first by the dashboard: React (and so Ink) picks its build from NODE_ENV when it is
 * first loaded, and an unset NODE_ENV means the development build, which checks and records far
 * more per render (several times the CPU of the production one: measured on a lunch-rush run,
 * the dashboard cost about 14% of a core with it). A NODE_ENV someone set (tests set "test") is
 * left alone.
 */
if (process.env["NODE_ENV"] === undefined) process.env["NODE_ENV"] = "production";

export {};
