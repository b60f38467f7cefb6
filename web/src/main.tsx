import { render } from "preact";
import { App } from "./app";
import { guardFileDrops } from "./lib/file-drop";
import "./styles.css";

guardFileDrops(window);
render(<App />, document.getElementById("app") as HTMLElement);
