import { createContext } from "react";

/** Whether the dashboard may colour its text (false with NO_COLOR or `color: false`). */
export const ColorContext = createContext<boolean>(true);
