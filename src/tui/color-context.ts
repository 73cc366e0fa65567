import { createContext, useContext, useMemo } from "react";
import { makePainter, type Painter } from "./theme.js";

/** Whether the dashboard may colour its text (false with NO_COLOR or `color: false`). */
export const ColorContext = createContext<boolean>(true);

/**
 * The dashboard's string painter. Panels build each row as one string (segments painted with
 * ANSI codes) in a single <Text>: a <Text> per coloured segment made each frame several hundred
 * Ink nodes, whose re-rendering and re-layout cost more than the rest of the frame.
 */
export function usePaint(): Painter {
  const color = useContext(ColorContext);
  return useMemo(() => makePainter(color), [color]);
}
