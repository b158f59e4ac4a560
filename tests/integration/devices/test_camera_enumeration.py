"""V4L2 enumeration from a sysfs-like tree: names kept, metadata nodes skipped, settings parsing."""

from __future__ import annotations

from pathlib import Path

from telecabine.devices.camera import CameraInfo, _enumerate_v4l2, parse_source


def _node(root: Path, name: str, label: str, index: str | None = "0") -> None:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    if index is not None:
        (d / "index").write_text(index + "\n")


def test_capture_nodes_with_names_in_numeric_order(tmp_path: Path) -> None:
    _node(tmp_path, "video10", "Otoscope USB")
    _node(tmp_path, "video0", "HD Pro Webcam C920")
    _node(tmp_path, "video1", "HD Pro Webcam C920", index="1")  # UVC metadata node
    _node(tmp_path, "video2", "Old driver", index=None)  # no index file: keep it
    assert _enumerate_v4l2(tmp_path) == [
        CameraInfo("/dev/video0", "HD Pro Webcam C920"),
        CameraInfo("/dev/video2", "Old driver"),
        CameraInfo("/dev/video10", "Otoscope USB"),
    ]
    assert _enumerate_v4l2(tmp_path / "absent") == []


def test_parse_source() -> None:
    assert parse_source("0") == 0
    assert parse_source(" 2 ") == 2
    assert parse_source("/dev/video4") == "/dev/video4"
    assert parse_source("/srv/demo.avi") == "/srv/demo.avi"
