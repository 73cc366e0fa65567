import { useContext, type ReactNode } from "react";
import { Text } from "ink";
import { ColorContext } from "../color-context.js";
import { TONE_STYLE, type Tone } from "../theme.js";

export interface TintedProps {
  tone?: Tone | null;
  /** Reverse video (the selected row), only when colour is on; plain text shows a `›` marker instead. */
  inverse?: boolean;
  children?: ReactNode;
}

/** Text in a tone, or plain text when colour is off. Nest it inside a `<Text>` row. */
export function Tinted({ tone, inverse, children }: TintedProps) {
  const color = useContext(ColorContext);
  if (!color || (!tone && !inverse)) return <Text>{children}</Text>;
  const style = tone ? TONE_STYLE[tone] : {};
  return (
    <Text {...style} inverse={inverse}>
      {children}
    </Text>
  );
}
