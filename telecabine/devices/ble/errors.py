"""Typed BLE device errors with a bilingual message fit for the measurement screen."""

from __future__ import annotations


class BleDeviceError(Exception):
    """Base of every error the BLE layer raises to services (never a raw bleak exception)."""

    code = "ble"
    message_fr = "Problème avec l'appareil Bluetooth."
    message_en = "Problem with the Bluetooth device."

    def __init__(self, detail: str = "") -> None:
        # ``detail`` is technical (for logs); it never contains patient data.
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail

    def message(self, lang: str = "fr") -> str:
        """The screen message in ``lang`` (French unless ``"en"``)."""
        return self.message_en if lang == "en" else self.message_fr


class BluetoothUnavailable(BleDeviceError):
    """No adapter, adapter off, or no permission."""

    code = "unavailable"
    message_fr = "Bluetooth indisponible sur ce poste. Utilisez la saisie manuelle."
    message_en = "Bluetooth is not available on this computer. Use manual entry."


class DeviceNotFound(BleDeviceError):
    """No device of the wanted kind answered the scan, or the paired one is out of range."""

    code = "not_found"
    message_fr = "Appareil introuvable. Allumez-le, rapprochez-le, puis réessayez."
    message_en = "Device not found. Switch it on, bring it closer, then try again."


class DeviceUnsupported(BleDeviceError):
    """Connected, but the device lacks the characteristics its adapter needs."""

    code = "unsupported"
    message_fr = "Cet appareil n'est pas pris en charge."
    message_en = "This device is not supported."


class DeviceDisconnected(BleDeviceError):
    """The link dropped (during connection or in the middle of a measurement)."""

    code = "disconnected"
    message_fr = "L'appareil s'est déconnecté pendant la mesure. Réessayez."
    message_en = "The device disconnected during the measurement. Try again."


class MeasurementTimeout(BleDeviceError):
    """Connected, but no complete measurement arrived in time."""

    code = "timeout"
    message_fr = "Aucune mesure reçue à temps. Vérifiez l'appareil et réessayez."
    message_en = "No measurement received in time. Check the device and try again."


class DeviceReportedError(BleDeviceError):
    """The device itself reported a failed measurement (cuff fit, movement, no value...)."""

    code = "device_error"
    _MESSAGES = {
        "device.error.cuff_fit": (
            "Brassard mal placé. Replacez-le et recommencez.",
            "Cuff not fitted properly. Refit it and start again.",
        ),
        "device.error.movement": (
            "Mouvement détecté pendant la mesure. Restez immobile et recommencez.",
            "Movement detected during the measurement. Keep still and start again.",
        ),
        "device.error.no_contact": (
            "Capteur sans contact avec la peau. Replacez-le et recommencez.",
            "Sensor not touching the skin. Place it again and start again.",
        ),
        "device.error.no_value": (
            "L'appareil n'a pas pu mesurer. Replacez-le et recommencez.",
            "The device could not measure. Place it again and start again.",
        ),
        "device.error.bad_frame": (
            "L'appareil a envoyé des données illisibles. Réessayez.",
            "The device sent unreadable data. Try again.",
        ),
    }

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key
        fr, en = self._MESSAGES.get(key, self._MESSAGES["device.error.no_value"])
        self.message_fr, self.message_en = fr, en
