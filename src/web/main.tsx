// The hearth web app: chat with local models, OCR and detection, models and the machine.
import { render } from "preact";
import { App } from "./components/App.tsx";
import "./styles.css";

render(<App />, document.getElementById("app")!);
