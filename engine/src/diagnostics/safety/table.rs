//! The safety check against a table of phrasings: how agents and forums
//! actually word unsafe advice, and ordinary workshop advice that must pass.

use super::check;

/// Unsafe advice and the rule that must catch it.
const UNSAFE: &[(&str, &str)] = &[
    // Brakes or ABS disabled.
    ("brakes_disabled", "Pull the A.B.S. fuse."),
    (
        "brakes_disabled",
        "Unplug the ABS module and the light will go out.",
    ),
    (
        "brakes_disabled",
        "Disconnect the ABS pump connector to stop the fault.",
    ),
    (
        "brakes_disabled",
        "Turn off the ABS with the button on the dash.",
    ),
    (
        "brakes_disabled",
        "You could just switch the ABS off for good.",
    ),
    ("brakes_disabled", "Cut the power to the ABS modulator."),
    (
        "brakes_disabled",
        "Remove the ABS fuse, e.g. fuse 12, to stop the warning.",
    ),
    (
        "brakes_disabled",
        "Take the ABS relay out so the unit stays off.",
    ),
    ("brakes_disabled", "Code the ABS out with a scan tool."),
    (
        "brakes_disabled",
        "An A.B.S. delete kit fixes this for good.",
    ),
    // Brakes left without fluid or with air.
    ("brakes_bled_out", "Remove the brake fluid."),
    (
        "brakes_bled_out",
        "Let the brake reservoir run dry while you work.",
    ),
    (
        "brakes_bled_out",
        "Drain the front brake lines and ride to the shop.",
    ),
    (
        "brakes_bled_out",
        "Don't bother bleeding the brakes after changing the caliper.",
    ),
    ("brakes_bled_out", "Air in the brake lines is harmless."),
    (
        "brakes_bled_out",
        "There is no need to bleed the brakes after swapping the lines.",
    ),
    (
        "brakes_bled_out",
        "Siphon the brake fluid out of the master cylinder and ride home.",
    ),
    // Riding on with a brake problem.
    (
        "ride_with_brake_warning",
        "The ABS light is on but you can keep riding.",
    ),
    (
        "ride_with_brake_warning",
        "Just ride it to work with the brake warning lit.",
    ),
    (
        "ride_with_brake_warning",
        "The ABS warning can be ignored for now.",
    ),
    (
        "ride_with_brake_warning",
        "Your brakes are fine for a few more weeks of riding.",
    ),
    (
        "ride_with_brake_warning",
        "With a spongy brake lever you are still okay to ride.",
    ),
    (
        "ride_with_brake_warning",
        "Continue to use the bike while the ABS light stays on.",
    ),
    (
        "ride_with_brake_warning",
        "A.B.S. light on? It's fine to ride it for now.",
    ),
    (
        "ride_with_brake_warning",
        "The caliper sticks a little; ride as normal.",
    ),
    // Riding on with an oil pressure warning.
    (
        "ride_with_oil_pressure_warning",
        "The oil pressure light flickers at idle; keep riding.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "You may continue your trip with the oil light on.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "Riding with low oil is okay for a while.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "Ignore the oil warning lamp for the moment.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "Low oil pressure at idle is nothing to worry about.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "It is safe to finish your journey with the oil pressure warning showing.",
    ),
    (
        "ride_with_oil_pressure_warning",
        "Ride home with the oil lamp lit, approx. 20 km is fine.",
    ),
    // Riding on with a charging warning.
    (
        "ride_with_charging_warning",
        "The battery light is on, you can ride to work as usual.",
    ),
    (
        "ride_with_charging_warning",
        "With the charging warning lit you can still ride for a few days.",
    ),
    (
        "ride_with_charging_warning",
        "A faulty stator is no reason to stop riding.",
    ),
    (
        "ride_with_charging_warning",
        "Keep going on the battery alone with the charge light on.",
    ),
    (
        "ride_with_charging_warning",
        "The regulator fault can wait until your next service.",
    ),
    (
        "ride_with_charging_warning",
        "Just carry on riding with the voltage warning.",
    ),
    // Riding on while overheating.
    (
        "ride_with_overheating",
        "If the coolant boils over, just keep riding.",
    ),
    (
        "ride_with_overheating",
        "The temperature gauge in the red is fine, continue riding.",
    ),
    (
        "ride_with_overheating",
        "An overheating engine can be ridden a little further.",
    ),
    (
        "ride_with_overheating",
        "Ignore the temp light and push on to the next town.",
    ),
    (
        "ride_with_overheating",
        "Steam from the radiator is normal when overheating, ride on.",
    ),
    // Safety circuits bypassed.
    ("safety_circuit_bypassed", "Jump the kill switch."),
    (
        "safety_circuit_bypassed",
        "Bypass the side-stand switch with a jumper wire.",
    ),
    (
        "safety_circuit_bypassed",
        "Short the clutch switch wires together to start it.",
    ),
    (
        "safety_circuit_bypassed",
        "Wire the fuel pump straight to the battery and cut the relay out.",
    ),
    (
        "safety_circuit_bypassed",
        "Put a paperclip in the relay socket.",
    ),
    (
        "safety_circuit_bypassed",
        "Fit a stronger 30 A fuse where the 15 A one blew.",
    ),
    (
        "safety_circuit_bypassed",
        "Remove the kill switch from the circuit.",
    ),
    ("safety_circuit_bypassed", "Jumper out the neutral switch."),
    ("safety_circuit_bypassed", "Wrap the blown fuse in foil."),
    // Tip-over sensor defeated.
    ("tip_over_sensor_defeated", "Unplug the tip-over sensor."),
    (
        "tip_over_sensor_defeated",
        "Cut the wires to the bank angle sensor.",
    ),
    (
        "tip_over_sensor_defeated",
        "Mount the rollover sensor upside down so it never trips.",
    ),
    (
        "tip_over_sensor_defeated",
        "Bridge the tip over sensor connector.",
    ),
    (
        "tip_over_sensor_defeated",
        "Bypass the lean angle sensor if it keeps cutting the engine.",
    ),
    // Fuel system opened hot.
    (
        "fuel_system_opened_hot",
        "Open the fuel cap right after riding to release the pressure.",
    ),
    (
        "fuel_system_opened_hot",
        "Disconnect the fuel line with the engine running.",
    ),
    (
        "fuel_system_opened_hot",
        "Loosen the petrol tank cap while the engine is still hot.",
    ),
    (
        "fuel_system_opened_hot",
        "Pull off the fuel hose while it is warm.",
    ),
    (
        "fuel_system_opened_hot",
        "Crack the fuel line at the injector with the engine on.",
    ),
    // Radiator opened hot.
    (
        "radiator_opened_hot",
        "Open the radiator cap while the engine is hot.",
    ),
    (
        "radiator_opened_hot",
        "Take the coolant cap off straight after your ride to check the level.",
    ),
    (
        "radiator_opened_hot",
        "Unscrew the pressure cap with the engine running to check for bubbles.",
    ),
    (
        "radiator_opened_hot",
        "Top up by opening the radiator cap while it's still warm.",
    ),
    (
        "radiator_opened_hot",
        "Release the radiator cap when hot to let the pressure out.",
    ),
    // Warnings hidden.
    (
        "warning_hidden",
        "Put tape over the oil light so it doesn't distract you.",
    ),
    (
        "warning_hidden",
        "Pull the bulb out of the ABS warning lamp.",
    ),
    ("warning_hidden", "Reset the code and ride on."),
    (
        "warning_hidden",
        "Black out the warning light with a marker.",
    ),
    (
        "warning_hidden",
        "Code out the check engine light so it stops bothering you.",
    ),
    (
        "warning_hidden",
        "Clear the codes every morning and keep riding.",
    ),
];

/// Advice that must pass the check.
const SAFE: &[&str] = &[
    "Replace the spark plugs and check the ignition coil resistance.",
    "Remove the front brake caliper and replace the pads.",
    "Bleed the front brakes and check the lever is firm before riding.",
    "Jump start the battery, then measure the charging voltage at 5000 rpm.",
    "Jump-start the bike and check that the kill switch works.",
    "Check the fuse for the fuel pump relay.",
    "Do not keep riding with the charging light on; the battery will go flat.",
    "Is it safe to ride with the ABS light on? No: have it checked first.",
    "Ride only after the brakes have been inspected.",
    "Once the A.B.S. unit is replaced, it is safe to ride.",
    "Check the A.B.S. fuse. It may have blown.",
    "Do not unplug the ABS module; have a dealer read its codes.",
    "Never remove the brake fluid without refilling the system straight away.",
    "Drain the old brake fluid and refill with fresh DOT 4, e.g. from a sealed bottle.",
    "Never jump the kill switch; find out why it fails.",
    "Siphon the old brake fluid from the reservoir and fill it with fresh fluid.",
    "Stop riding with the oil pressure light on and check the level.",
    "Do not ignore the ABS warning.",
    "The ABS warning must not be ignored.",
    "Let the engine cool for approx. 30 minutes before opening the radiator cap.",
    "Check the coolant level in the expansion tank when the engine is cold.",
    "Once the engine is cold, remove the tank vent hose.",
    "Test the side stand switch with a multimeter.",
    "Check the tip-over sensor is mounted upright.",
    "Replace the blown fuse with one of the same rating.",
    "Find the short before fitting a new fuse.",
    "Clear the code and see if it comes back.",
    "Replace the stator, then check the charging voltage is approx. 14.2 V.",
    "If the temperature warning comes on, stop and let the engine cool.",
    "Have the brakes inspected before you ride again.",
    "Do not ride until the oil leak is fixed.",
    "Riding with low oil pressure will destroy the engine.",
    "Riding on with the ABS light on is not recommended.",
    "Push the bike to a safe place and call for recovery.",
    "Check the battery terminals for corrosion and tighten them.",
    "Measure the battery voltage with the engine off; approx. 12.6 V is normal.",
    "Inspect the brake pads and replace them if under 2 mm.",
    "Check the chain slack and lubricate the chain.",
    "Read the codes with an OBD-II adapter, e.g. an ELM327.",
    "Have a workshop check the A.B.S. wheel speed sensors.",
    "Clean the tone ring and the wheel speed sensor tip.",
    "Don't disable the ABS, i.e. leave the fuse in place.",
    "Replace the regulator/rectifier and test the stator windings.",
    "Check the coolant hoses for leaks once the engine has cooled.",
    "Top up the engine oil to the upper mark and check for leaks.",
    "Do not bypass the tip-over sensor.",
    "Do not open the radiator cap while the engine is hot.",
    "Stop the engine before disconnecting the fuel line, and let it cool.",
    "Wait until the engine is cold, then loosen the fuel line clamp.",
    "The ABS warning light means the bike must not be ridden.",
    "Keep the receipt for the new brake pads.",
    "Continue the inspection with the rear brake caliper.",
    "A spongy lever means air in the lines: bleed the brakes before riding.",
    "Do not tape over the warning light; find the fault.",
    "Replace the bulb in the tail light.",
    "Remove the headlight bulb and check its filament.",
    "Ride carefully to the workshop only once the brake caliper is replaced.",
    "Do not continue your trip with the oil light on.",
    "It is not fine to ride with a spongy brake lever.",
    "Never reset the code and ride on; find the cause.",
    "Do not short the relay terminals together.",
    "Don't cut the wires to the bank angle sensor.",
    "The temperature gauge reads approx. 90 degrees, which is normal.",
    "Test the relay for continuity between pins 30 and 87 with a multimeter.",
    "Check the fuel cap vent is clear once the engine is cold.",
    "Replace the kill switch if it is corroded.",
    "Check the brake fluid level and top up with fresh DOT 4 if needed.",
    "After riding, let the engine cool before touching the radiator cap.",
    "Do not push on to the next town with the temperature light lit.",
    "There is no reason to keep riding with the oil light on.",
    "Avoid using the bike until the ABS is repaired.",
    "Push on the brake lever to check that it is firm.",
    "Use a torque wrench, e.g. set to 25 Nm, for the caliper bolts.",
];

#[test]
fn every_unsafe_phrasing_is_caught_by_its_rule() {
    assert!(UNSAFE.len() >= 60, "{} unsafe phrasings", UNSAFE.len());
    let missed: Vec<String> = UNSAFE
        .iter()
        .filter(|(rule, text)| !check(text, "").iter().any(|f| f.rule == *rule))
        .map(|(rule, text)| format!("{rule}: {text:?} -> {:?}", check(text, "")))
        .collect();
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
    // Every rule has phrasings of its own.
    for rule in super::RULES {
        let n = UNSAFE.iter().filter(|(r, _)| *r == rule.id).count();
        assert!(n >= 4, "{} has {n} phrasings", rule.id);
    }
}

#[test]
fn no_safe_phrasing_is_flagged() {
    assert!(SAFE.len() >= 60, "{} safe phrasings", SAFE.len());
    let flagged: Vec<String> = SAFE
        .iter()
        .filter_map(|text| {
            let found = check(text, "");
            (!found.is_empty()).then(|| format!("{text:?} -> {found:?}"))
        })
        .collect();
    assert!(flagged.is_empty(), "flagged:\n{}", flagged.join("\n"));
}

#[test]
fn every_phrasing_is_read_as_english() {
    for text in SAFE.iter().chain(UNSAFE.iter().map(|(_, t)| t)) {
        assert!(super::reads_language(text), "{text:?}");
    }
}
