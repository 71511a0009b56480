//! The rule table of unsafe advice; read by [`super::check`].
//!
//! Data only: adding a rule means adding an entry here and a test sentence
//! that fires it.

use super::SafetyRule;

const RIDE_ON: &[&str] = &[
    "keep|keeps|keeping riding|going",
    "keep|keeps|keeping on riding",
    "continue|continues|continuing riding|on",
    "continue|continues|continuing to ride",
    "carry|carrying on",
    "still ride|rideable|ridable",
    "safe|ok|okay|fine|alright|good to ride|keep|continue",
    "can ~ ride|riding",
    "ride|rides|riding with|without|it|on|home|carefully|cautiously|gently|slowly",
    "ignore|ignoring ~ light|lamp|warning|warnings|it|this|that",
    "no need to stop|worry",
    "dont need|have to stop",
    "need not stop",
    "dont stop",
    "nothing to worry",
    "not urgent",
    "can wait",
];

const REPAIRED: &[&str] = &[
    "once|after ~~ replaced|replacing|repaired|repairing|fixed|fixing|bled|bleeding|resolved|sorted|topped|charged|done|finished|complete|completed",
];

const COOLED: &[&str] = &[
    "once|after|until|when ~~ cool|cools|cooled|cold",
    "let|allow ~~ cool",
];

const HOT: &[&str] = &[
    "hot|warm",
    "engine running|on",
    "while running|riding",
    "still running",
    "just ridden|run",
];

/// The rule table; the documentation of [`super`] sums it up.
pub const RULES: &[SafetyRule] = &[
    SafetyRule {
        id: "brakes_disabled",
        reason: "disables or removes the brakes or ABS",
        triggers: &[
            "disable|disabling|deactivate|deactivating|defeat|defeating ~ abs|antilock|brake|brakes",
            "disable|disabling|deactivate|deactivating ~ anti lock",
            "turn|turning|switch|switching off ~ abs|antilock",
            "turn|turning|switch|switching ~ abs|antilock off",
            "remove|removing|pull|pulling ~ abs fuse|fuses|relay",
            "delete|deleting ~ abs",
            "abs delete|removal",
            "remove|removing ~ abs system",
        ],
        context: &[],
        context_anywhere: false,
        unless: &[],
    },
    SafetyRule {
        id: "brakes_bled_out",
        reason: "leaves the brakes without fluid or with air in them",
        triggers: &[
            "bleed|bleeding|bled|drain|draining|empty|emptying|run|running ~ dry",
            "drain|draining|empty|emptying ~ fluid|reservoir|system|lines",
            "leave|leaving ~ air in",
            "air in ~ fine|ok|okay|normal|harmless|acceptable",
            "skip|skipping ~ bleed|bleeding",
            "no|dont need to bleed",
            "without bleeding",
        ],
        context: &["brake*|braking|caliper*|abs"],
        context_anywhere: false,
        unless: &["refill*|fill|fresh|new|replenish*|top"],
    },
    SafetyRule {
        id: "ride_with_brake_warning",
        reason: "tells the rider to ride on with a brake or ABS problem",
        triggers: RIDE_ON,
        context: &["brake*|braking|abs|antilock|caliper*", "anti lock"],
        context_anywhere: true,
        unless: REPAIRED,
    },
    SafetyRule {
        id: "ride_with_oil_pressure_warning",
        reason: "tells the rider to ride on with an oil pressure warning",
        triggers: RIDE_ON,
        context: &[
            "oil pressure|light|lamp|warning|level|leak|leaking|symbol|can",
            "low oil",
        ],
        context_anywhere: true,
        unless: REPAIRED,
    },
    SafetyRule {
        id: "ride_with_charging_warning",
        reason: "tells the rider to ride on with a charging or battery warning",
        triggers: RIDE_ON,
        context: &[
            "charging|alternator|stator|regulator|rectifier",
            "charge|battery|voltage light|lamp|warning|symbol|indicator",
            "low voltage",
        ],
        context_anywhere: true,
        unless: REPAIRED,
    },
    SafetyRule {
        id: "ride_with_overheating",
        reason: "tells the rider to ride on while the engine overheats",
        triggers: RIDE_ON,
        context: &[
            "overheat*|coolant|boil*|steam*",
            "temperature|temp warning|light|lamp|gauge",
            "running|runs|run|too hot",
        ],
        context_anywhere: true,
        unless: REPAIRED,
    },
    SafetyRule {
        id: "safety_circuit_bypassed",
        reason: "bypasses a fuse, relay or safety switch",
        triggers: &[
            "bypass|bypasses|bypassing|bypassed",
            "jumper|jumpers|jumpering|jumpered",
            "jump|jumping ~ out|across",
            "bridge|bridging|bridged ~ terminal|terminals|pins|contacts|wires|relay|fuse|switch",
            "hotwire|hotwiring",
            "hot wire|wiring",
            "tape|taping|tie|tying ~ closed|down|shut",
            "replace|replacing|swap|swapping ~ fuse|fuses ~ with ~ wire|foil|bolt|nail|screw|paperclip|coin",
            "wrap|wrapping ~ fuse ~ foil",
            "bigger|larger|higher|stronger|oversized|uprated fuse|fuses",
            "higher amp|amps|amperage|rated|rating",
            "disable|disabling|defeat|defeating ~ switch|interlock",
            "join|joining|splice|splicing|connect|connecting ~ wires ~ together",
        ],
        context: &[
            "fuse|fuses|relay|relays|interlock|killswitch|sidestand|kickstand",
            "kill|run switch",
            "engine stop switch",
            "side|kick stand",
            "clutch|neutral|safety|stand switch",
        ],
        context_anywhere: false,
        unless: &[],
    },
    SafetyRule {
        id: "tip_over_sensor_defeated",
        reason: "defeats the tip-over sensor that stops the engine after a fall",
        triggers: &[
            "disable|disabling|bypass|bypassing|disconnect|disconnecting|unplug|unplugging|jumper|jumpering|defeat|defeating|delete|deleting ~ tip|roll over",
            "disable|disabling|bypass|bypassing|disconnect|disconnecting|unplug|unplugging|jumper|jumpering|defeat|defeating|delete|deleting ~ tipover|rollover",
            "disable|disabling|bypass|bypassing|disconnect|disconnecting|unplug|unplugging|jumper|jumpering|defeat|defeating|delete|deleting ~ bank|lean angle",
        ],
        context: &[],
        context_anywhere: false,
        unless: &[],
    },
    SafetyRule {
        id: "fuel_system_opened_hot",
        reason: "opens the fuel system near a hot engine",
        triggers: &[
            "remove|removing|open|opening|disconnect|disconnecting|loosen|loosening|unscrew|unscrewing ~ vent|vents|breather",
            "remove|removing|open|opening|loosen|loosening|unscrew|unscrewing ~ fuel|gas|petrol|tank|filler cap",
            "remove|removing|disconnect|disconnecting|loosen|loosening ~ fuel line|lines|hose|hoses",
        ],
        context: HOT,
        context_anywhere: false,
        unless: COOLED,
    },
    SafetyRule {
        id: "radiator_opened_hot",
        reason: "opens a pressurised cooling system while hot",
        triggers: &[
            "remove|removing|open|opening|loosen|loosening|unscrew|unscrewing ~ radiator|coolant|pressure|expansion cap|caps",
            "take|taking off ~ radiator|coolant|pressure|expansion cap|caps",
        ],
        context: HOT,
        context_anywhere: false,
        unless: COOLED,
    },
    SafetyRule {
        id: "warning_hidden",
        reason: "hides a warning instead of dealing with it",
        triggers: &[
            "tape|taping over ~ light|lamp|warning|indicator",
            "cover|covering ~ warning|indicator|dash ~ light|lamp",
            "unplug|unplugging|disconnect|disconnecting|remove|removing ~ warning|indicator|dash ~ light|lamp|bulb|led",
            "clear|clearing|reset|resetting ~ code|codes|light|warning|lamp and ~ ride|riding|keep|continue|carry",
        ],
        context: &[],
        context_anywhere: false,
        unless: &[],
    },
];
