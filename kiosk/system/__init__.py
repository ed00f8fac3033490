"""What ties the kiosk to the machine it runs on: systemd notify, the watchdog, the restart counter, durable files and
log setup. Nothing here knows flows, devices or the screen."""
