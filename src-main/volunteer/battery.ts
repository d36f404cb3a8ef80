// Whether the machine runs on battery, for "not on battery", where nothing better is at hand
// (the Electron shell passes powerMonitor instead: it is event-driven and spawns nothing).
import si from 'systeminformation';

export async function onBatteryPower(): Promise<boolean> {
  const battery = await si.battery();
  // A desktop has no battery; a laptop on its charger is not on battery, whatever its charge.
  return battery.hasBattery && !battery.acConnected;
}
