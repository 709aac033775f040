#pragma once

namespace gatehouse::guardrails {

enum class EntityType : unsigned char;
enum class Action : unsigned char;
enum class Direction : unsigned char;
enum class Severity : unsigned char;
struct Finding;
struct InjectionVerdict;
struct ScanResult;
struct GuardResult;
struct RuleAction;
struct CustomRule;
struct PolicyConfig;
class Engine;
class Pseudonymizer;
class Restorer;
class OutputStreamGuard;
struct ScanCommandOptions;

}  // namespace gatehouse::guardrails
