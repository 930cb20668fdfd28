"""A live view of the build with rich: running steps with timers, then a summary line."""

from __future__ import annotations

from typing import TextIO

from pallet.progress.events import Vertex


class TtyWriter:
    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream, highlight=False)
        self.running: dict[int, Vertex] = {}
        self.live = Live(console=self.console, refresh_per_second=8, transient=True,
                         get_renderable=self._render)
        self.live.start()

    def _render(self):
        from rich.text import Text

        text = Text()
        for v in self.running.values():
            last = v.logs[-1] if v.logs else ""
            text.append(f"=> {v.name}  {v.duration:.1f}s\n", style="bold blue")
            if last:
                text.append(f"   {last[:200]}\n", style="dim")
        return text

    def on_start(self, v: Vertex) -> None:
        self.running[v.number] = v

    def on_log(self, v: Vertex, offset: float, line: str) -> None:
        pass

    def on_status(self, v: Vertex, text: str) -> None:
        pass

    def on_done(self, v: Vertex) -> None:
        self.running.pop(v.number, None)
        if v.error is not None:
            self.console.print(f"[red]=> ERROR {v.name}[/red]", markup=True)
        elif v.cached:
            self.console.print(f"=> CACHED {v.name}", markup=False)
        else:
            self.console.print(f"=> {v.name}  {v.duration:.1f}s", markup=False)

    def close(self) -> None:
        self.live.stop()
