#include "guardrails/injection.h"

#include "guardrails/char_class.h"
#include "guardrails/detectors.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <string>

namespace gatehouse::guardrails::detail {
namespace {

// Families, reported in InjectionVerdict::signals.
constexpr std::string_view kOverride = "instruction_override";
constexpr std::string_view kLeak = "prompt_leak";
constexpr std::string_view kPersona = "role_confusion";
constexpr std::string_view kAuthority = "fake_authority";
constexpr std::string_view kDelimiter = "delimiter_injection";
constexpr std::string_view kSmuggling = "context_smuggling";
constexpr std::string_view kExfiltration = "exfiltration";
constexpr std::string_view kFraming = "harmful_framing";
constexpr std::string_view kSuffix = "adversarial_suffix";
constexpr std::string_view kMeta = "meta_discussion";
constexpr std::string_view kLexicon = "jailbreak_vocabulary";
constexpr std::string_view kDefensive = "defensive_phrasing";
// Marks where quoted data (an e-mail, a document, a page) begins; weighs nothing itself, but
// lets scoreInjection look for a task planted inside that data.
constexpr std::string_view kDataLead = "data_lead";

struct Signal {
  std::string_view family;
  std::string_view pattern;  // vectorscan / RE2 syntax; caseless unless `case_sensitive`
  double weight;             // probability-like contribution, combined by noisy-OR
  bool case_sensitive = false;
  // When set, the pattern database looks only for this cheap anchor (rare words) and the full
  // pattern is confirmed with RE2 in a window around the anchor. Patterns that start with
  // common words ("the", "your", "show") would otherwise slow the whole database down.
  std::string_view anchor = {};
};

// Phrase gaps: up to a few words between the parts of a phrase.
#define GAP "[\\s\\w,'’\"-]{0,40}?"
#define SGAP "[\\s\\w,'’\"-]{0,20}?"

constexpr Signal kSignals[] = {
    // --- Instruction override / goal hijacking ---------------------------------------------
    {kOverride,
     "\\b(ignore|ignoring|disregard|forget|overlook|bypass|override|abandon|discard|erase|"
     "neglect|skip)\\b" GAP
     "\\b(previous|prior|above|earlier|preceding|foregoing|initial|original|old|all|any|every|"
     "your|those|these|other|system)\\b" SGAP
     "\\b(instructions?|directions?|directives?|prompts?|rules|guidelines|commands|"
     "programming|constraints|restrictions|polic(y|ies)|training|orders|guardrails|filters|"
     "configuration|conditions|inputs?|context|messages)\\b",
     0.8, false,
     "\\b(ignor(e|ing)|disregard|forget|overlook|bypass|override|abandon|discard|erase|neglect|"
     "skip)\\b"},
    {kOverride, "\\b(ignore|disregard|forget)\\s+(all|everything)\\s+(above|before|previous|prior)",
     0.8},
    {kOverride, "\\bforget\\s+(everything|all)\\s+(you|i|that|we)\\b", 0.6},
    {kOverride, "\\bignore\\s+(the\\s+)?above\\b", 0.7},
    {kOverride,
     "\\b(new|updated|real|actual|following|revised)\\s+(instructions?|directives?|rules|"
     "task|orders)\\s*(follow|are|:|have|take|now|below|that you should)",
     0.55, false, "\\b(instructions?|directives?|rules|task|orders)\\b"},
    {kOverride, "\\b(begin|start)\\s+new\\s+instructions\\b", 0.7},
    {kOverride, "\\b(highest|top|overriding|absolute)\\s+(precedence|priority)\\b", 0.5, false,
     "\\b(precedence|priority)\\b"},
    {kOverride,
     "\\b(all|any|every)\\s+other\\s+(orders|rules|instructions|directives|commands|tasks)\\b",
     0.45, false, "\\bother\\s+(orders|rules|instructions|directives|commands|tasks)\\b"},
    {kOverride,
     "\\b(sole|only|singular|paramount|primary|one) (directive|command|instruction|"
     "pursuit|order) (that matters|to champion|as paramount|be your)",
     0.55},
    {kOverride,
     "\\b(directive|command|instruction)\\b" GAP
     "\\b(paramount|champion|singular|sole|matters|precedence|priority)\\b",
     0.4, false, "\\b(paramount|champion|singular|sole|matters|precedence|priority)\\b"},
    {kOverride, "\\ball\\s+others\\s+(are|fade|now|become)\\b", 0.35},
    {kOverride, "\\b(erase|delete|forget|clear|wipe)\\s+everything\\b", 0.5, false,
     "\\beverything\\b"},
    {kOverride,
     "\\b(erase|remove|delete|clear|wipe)\\s+(all|every|any)\\s+(other\\s+)?"
     "(rules|instructions|memory|memories)\\b",
     0.6},
    {kOverride, "\\b(stop|cancel)\\s+everything\\b", 0.45, false, "\\beverything\\b"},
    {kOverride, "\\bnew\\s+(rule|instruction|directive|goal|task|objective)s?\\s*:", 0.45},
    {kOverride,
     "\\bignore\\s+(all\\s+)?(safety|ethics|the\\s+rules|your\\s+rules|your\\s+guidelines|"
     "restrictions|filters|your\\s+programming)\\b",
     0.6},
    {kOverride,
     "\\b(ignore|disregard|forget|skip)\\s+(the\\s+|this\\s+|that\\s+|your\\s+)?(\\w+\\s+)?(task|"
     "job|"
     "assignment|request)\\b.{0,30}\\binstead\\b",
     0.6, false, "\\binstead\\b"},
    {kOverride,
     "\\byour\\s+(real|true|actual|new)\\s+(instructions|task|orders|goal|purpose|objective)\\b",
     0.5},
    {kOverride, "\\bfollow\\s+(them|these|those|it|that)\\s+instead\\b", 0.4},
    {kOverride, "\\b(i\\s+have\\s+been|you\\s+have\\s+been|been)\\s+pwned\\b|\\bhaha\\s+pwned\\b",
     0.4},
    {kOverride,
     "\\b(ignore|disregard|skip)\\s+(all\\s+)?(the\\s+)?(following|next|subsequent)\\s+"
     "(sentences?|text|instructions?|inputs?|lines?|words)\\b",
     0.5, false,
     "\\b(following|next|subsequent)\\s+(sentences?|text|instructions?|inputs?|lines?|words)\\b"},
    {kOverride, "\\bjust\\s+(print|say|output|write)\\b", 0.25},
    {kOverride,
     "\\b(do not|don't|never|stop) (follow|obey|listen to|comply with)(ing)? (your|the|any)\\b" SGAP
     "\\b(instructions|rules|guidelines|policy|developers?)",
     0.6, false, "\\b(do not|don't|never|stop) (follow|obey|listen to|comply with)"},
    {kOverride,
     "\\b(instead|rather)\\s*,?\\s+(print|say|output|respond|reply|write|tell|give|"
     "spell|translate|repeat)\\b",
     0.3},
    {kOverride,
     "\\b(previous|prior|above|earlier|old)\\s+(instructions|prompt|directions|rules)\\s+"
     "(are|were|was|is)\\s+(void|invalid|cancell?ed|outdated|out\\s+of\\s+date|wrong|fake|a\\s+"
     "joke|old|no\\s+longer)",
     0.7, false,
     "\\b(instructions|prompt|directions|rules)\\s+(are|were|was|is)\\s+(void|invalid|cancell?ed|"
     "outdated|out\\s+of\\s+date|wrong|fake|a\\s+joke|old|no\\s+longer)"},
    {kOverride, "\\bout\\s+of\\s+date\\s+instructions\\b", 0.6},
    {kOverride, "\\bnever\\s+mind\\b" GAP "\\b(instructions?|instead)\\b", 0.5},
    {kOverride, "\\bfrom\\s+now\\s+on\\b", 0.2},
    // "I know you were told not to ..., but": names the model's restriction to step past it.
    // Only a prohibition given to "you" counts ("I know you said it was at noon, but" is chat).
    {kOverride,
     "\\bi\\s+(know|reali[sz]e|understand)\\s+(that\\s+)?you\\s+(said|were\\s+(told|instructed|"
     "programmed))\\s+not\\s+to\\b[^.?!\\n]{0,80}\\bbut\\b",
     0.55, false, "\\b(said|told|instructed|programmed)\\s+not\\s+to\\b"},
    {kOverride,
     "\\beverything\\s+(i\\s+write\\s+)?after\\s+this\\b" GAP "\\b(outranks|overrides|"
     "supersedes|takes\\s+precedence)",
     0.7},
    {kOverride, "\\b(outranks|supersedes|overrides)\\s+(your|the|all|any)\\b", 0.45},
    {kOverride,
     "\\b(task|job|assignment)\\b" SGAP "\\b(is\\s+)?(cancell?ed|aborted|over)\\b" GAP
     "\\binstead\\b",
     0.6},
    // Other languages.
    {kOverride,
     "\\bignor(a|e|ar)\\b" GAP "\\b(istruzioni|instrucciones|instru(c|ç)(õ|o)es|instructions)",
     0.8},
    {kOverride, "\\besque(c|ç)a\\b" GAP "\\b(regras|instru(c|ç)(õ|o)es|tudo)", 0.8},
    {kOverride, "\\b(olvida|olvide)\\b" GAP "\\b(instrucciones|reglas|todo)", 0.8},
    {kOverride,
     "\\bignore(z|r)?\\b" GAP "\\b(consignes|instructions)\\s+(pr(é|e)c(é|e)dentes|"
     "ci-dessus|ant(é|e)rieures)",
     0.8},
    {kOverride, "\\b(ignoriere|vergiss)\\b" GAP "\\b(anweisungen|regeln|anordnungen)", 0.8},
    {kOverride, "\\bnegeer\\b" GAP "\\b(opdracht|instructies|regels)", 0.8},
    {kOverride, "(指示|命令|指令|ルール).{0,60}(無視|忘れ)", 0.8},
    {kOverride, "(忽略|无视|忘记).{0,60}(指令|指示|说明|规则)", 0.8},
    {kOverride, "(이전|모든).{0,40}(지시|명령).{0,40}(무시|잊)", 0.8},
// --- System prompt extraction -------------------------------------------------------------
#define LEAK_VERB                                                                             \
  "\\b(reveal|repeat|print|output|show|display|dump|leak|disclose|relay|recite|summari[sz]e|" \
  "format|list|explain|translate|spell\\s+check|write\\s+out|tell\\s+me|give\\s+me|share|"    \
  "paste|copy|convert)\\s+(me\\s+)?"
#define LEAK_NOUN                                                                        \
  "\\s+(instructions|prompt|rules|directives|configuration|parameters|system\\s+prompt|" \
  "guidelines|pre-?prompt)\\b"
    {kLeak,
     LEAK_VERB "(all\\s+(of\\s+)?)?your(\\s+(full|exact|entire|complete|initial|original|hidden|"
               "system|secret|previous)){0,2}" LEAK_NOUN,
     0.55, false,
     "\\b(instructions|prompt|rules|directives|configuration|parameters|guidelines|pre-?prompt)"
     "\\b"},
    {kLeak,
     LEAK_VERB "(all\\s+(of\\s+)?)?the\\s+(above|previous|prior|preceding|initial|original|hidden|"
               "system|full|exact|entire|complete)" LEAK_NOUN,
     0.55, false,
     "\\b(instructions|prompt|rules|directives|configuration|parameters|guidelines|pre-?prompt)"
     "\\b"},
    {kLeak, LEAK_VERB "(all|all\\s+(of\\s+)?the|the|previous|prior|above)" LEAK_NOUN, 0.3, false,
     "\\b(instructions|prompt|rules|directives|configuration|parameters|guidelines|pre-?prompt)"
     "\\b"},
    {kLeak,
     "\\b(system\\s+prompt|initial\\s+(prompt|instructions)|original\\s+instructions|developer\\s+"
     "message|pre-?prompt)\\b",
     0.2},
#undef LEAK_VERB
#undef LEAK_NOUN
    {kLeak, "\\b(instructions|prompt)\\s+(so\\s+far|above|verbatim|word\\s+(for|by)\\s+word)\\b",
     0.6},
    {kLeak, "\\b(verbatim|word\\s+(for|by)\\s+word)\\b", 0.25},
    {kLeak, "\\bwhat\\s+(were|are|have)\\s+you\\s+(been\\s+)?(told|instructed|programmed)\\b", 0.6},
    {kLeak,
     "\\byour\\s+(initial|original|hidden|secret|system|internal)\\s+"
     "(instructions|prompt|message|rules)\\b",
     0.45},
    {kLeak, "\\b(hidden|secret|internal)\\s+(instructions|prompt|message|rules)\\b", 0.35},
    {kLeak, "\\b(above|previous|prior)\\s+(instructions|prompt|words|text)\\b", 0.35},
    {kLeak, "\\brepeat\\s+(the\\s+)?(above|previous|everything|all)\\b", 0.45},
    {kLeak,
     "\\b(what is|what's|tell me|give me|reveal|confirm|share|send|spell|provide) (me )?(your|the) "
     "(password|passcode|passphrase|access code|secret key|secret|credentials)\\b",
     0.5, false, "\\b(password|passcode|passphrase|access code|secret key|secret|credentials)\\b"},
    {kLeak, "\\b(password|access\\s+code|secret\\s+key)\\b", 0.15},
    {kLeak, "(비밀번호|パスワード|密码)", 0.35},
    {kLeak, "\\bpseudocode\\b", 0.25},
    {kLeak,
     "\\b(list|copy|contents?|text|summary|dump)\\s+of\\s+(all\\s+)?your\\s+(\\w+(’|')?s?\\s+){0,2}"
     "(instructions|prompt|rules|parameters|configuration|directives|guidelines)\\b",
     0.4, false,
     "\\b(instructions|prompt|rules|parameters|configuration|directives|guidelines)\\b"},
    {kLeak, "\\b(text|words|everything|content|lines)\\s+(above|before)\\s+(this|my|these)\\b",
     0.4},
    {kLeak,
     "\\b(what|which)\\s+(instructions|rules|directions|guidelines)\\s+(did|were|have|has)\\b"
     ".{0,40}\\byou\\b",
     0.5, false, "\\b(instructions|rules|directions|guidelines)\\s+(did|were|have|has)\\b"},
    {kLeak, "\\breveal\\s+(all\\s+)?(the\\s+|your\\s+)?(secrets|passwords|credentials|keys)\\b",
     0.45},
    {kLeak,
     "\\b(words?|sentences?|lines?|text|paragraphs?)\\s+of\\s+(this|the|your)\\s+"
     "(prompt|instructions)\\b",
     0.45, false, "\\b(prompt|instructions)\\b"},
    {kLeak,
     "\\byour\\s+(system(’|')?s?|internal|hidden|initial|original|secret)\\s+"
     "(parameters|instructions|prompt|configuration|rules|settings)\\b",
     0.45},
    {kLeak,
     "\\b(say|tell|give|share|reveal|print|write|spell|show|repeat|output|put|include|insert|"
     "wrap) (me )?(the|your) (correct |real |actual |secret )?(password|passcode|passphrase|"
     "access code|secret key)\\b",
     0.45, false, "\\b(password|passcode|passphrase|access code|secret key)\\b"},
    {kLeak,
     "\\b(poem|story|song|haiku|riddle|acrostic|limerick) (about|containing|with|including|"
     "that reveals) (the|your) (password|secret|access code|secret key)\\b",
     0.5, false, "\\b(password|secret|access code|secret key)\\b"},
    {kLeak, "(비밀번호|パスワード|密码|contraseña|passwort).{0,60}(알려|教え|告诉|提供|dime|sag)",
     0.5},
    // --- Persona / jailbreak role play -------------------------------------------------------
    {kPersona, "\\bDAN\\b", 0.5, true},
    {kPersona, "\\bdo\\s+anything\\s+now\\b", 0.8},
    {kPersona, "\\b[A-Z][A-Za-z0-9]*GPT(-?[0-9]+)?\\b", 0.3, true},
    {kPersona,
     "\\b(jailbreak|jailbroken|god|dan|unrestricted|unfiltered|evil|uncensored)\\s+mode\\b", 0.6,
     false, "\\bmode\\b"},
    {kPersona, "\\b(developer|debug|admin)\\s+mode\\b", 0.3},
    {kPersona, "\\b(not|never)\\s+(bound|restricted|limited|governed|constrained)\\s+by\\b", 0.45,
     false, "\\b(bound|restricted|limited|governed|constrained)\\s+by\\b"},
    {kPersona,
     "\\b(no|without|free\\s+(of|from)|exempt\\s+from|removed?|suspended|disabled)\\s+((any|all|"
     "the|"
     "your|its|safety|content)\\s+){0,2}"
     "(restrictions|filters|filtering|limitations|censorship|content\\s+polic(y|ies)|"
     "ethical\\s+guidelines|moral\\s+guidelines|ethics|morals|confidentiality\\s+rules|"
     "safety\\s+(rules|filters|guidelines|tuning))\\b",
     0.42, false,
     "\\b(restrictions|filters|filtering|limitations|censorship|ethics|morals|tuning|content polic|"
     "confidentiality)"},
    {kPersona,
     "\\b(no|without|free of|free from|not bound by) (any |all |the )?(rules|limits|guidelines|"
     "boundaries)\\b",
     0.4},
    {kPersona,
     "\\b(amoral|unethical|immoral|unfiltered|uncensored|unrestricted|unbound|"
     "boundless)\\b" GAP "\\b(ai|chatbot|bot|model|assistant|character|persona|"
     "response|responses|language\\s+model)\\b",
     0.45},
    {kPersona,
     "\\b(ai|chatbot|bot|model|assistant|character|persona)\\b" GAP
     "\\b(amoral|unfiltered|uncensored|unrestricted|without\\s+(any\\s+)?(restrictions|"
     "filters|limits|ethics|morals))\\b",
     0.45},
    {kPersona, "\\b(break|step\\s+out\\s+of|leave|drop)\\s+(of\\s+)?character\\b", 0.45},
    {kPersona,
     "\\b(stay|remain|always\\s+stays?)\\s+in\\s+(that\\s+|this\\s+|the\\s+)?"
     "(character|persona|role)\\b",
     0.4},
    {kPersona,
     "\\b(does\\s+not|doesn't|don't|will\\s+not|won't|never)\\s+(care|refuse|"
     "apologi[sz]e|warn)\\b",
     0.3, false, "\\b(care|refuse|apologi[sz]e|warn)\\b"},
    {kPersona,
     "\\b(regardless|irrespective)\\s+of\\s+(how\\s+)?(legal|ethical|moral|"
     "illegal|immoral|unethical|harmful|dangerous)",
     0.4},
    {kPersona,
     "\\b(illegal|immoral|unethical|harmful|offensive)\\b" SGAP "\\b(or|and)\\b" SGAP
     "\\b(illegal|immoral|unethical|harmful|offensive|"
     "dangerous|explicit)\\b",
     0.25},
    {kPersona,
     "\\b(answer|respond|reply)\\b" SGAP "\\b(in\\s+two\\s+(ways|different)|"
     "as\\s+both)\\b",
     0.35, false, "\\b(in\\s+two\\s+(ways|different)|as\\s+both)\\b"},
    {kPersona, "\\b(respond|reply|answer)\\s+(only\\s+)?as\\s+[A-Z]", 0.3},
    {kPersona, "\\bprefix\\b" SGAP "\\b(responses?|answers?|replies|output)\\b", 0.25},
    {kPersona,
     "\\b(drop|remove|without|no)\\s+(all\\s+|any\\s+)?(the\\s+)?(disclaimers|"
     "warnings|caveats|refusals)\\b",
     0.4, false, "\\b(disclaimers|warnings|caveats|refusals)\\b"},
    {kPersona,
     "\\b(you\\s+are|you're)\\s+(now\\s+)?(free|unchained|liberated|no\\s+longer\\s+"
     "(an?\\s+)?(ai|assistant|bound|restricted))\\b",
     0.5},
    {kPersona,
     "\\b(you\\s+are\\s+now|from\\s+now\\s+on,?\\s+you\\s+are|you\\s+will\\s+now\\s+"
     "(be|act|pretend))\\b",
     0.35},
    {kPersona, "\\b(pretend|act|roleplay|role-play)\\s+(to\\s+be|as|like)\\b", 0.12},
    {kPersona, "\\blet'?s\\s+play\\s+a\\s+game\\b", 0.3},
    // A second model introduced by name ("a language model called GPT-5 is now online").
    {kPersona, "\\b(language\\s+model|ai|chatbot|assistant|bot|model)\\s+(called|named)\\s+\\w",
     0.2, false, "\\b(called|named)\\b"},
    {kPersona,
     "\\b(simulate|simulation)\\b" SGAP "\\b(conversation|ai|model|chatbot|"
     "console|terminal)\\b",
     0.2},
    {kPersona, "\\b(openai|anthropic)('s)?\\s+(content\\s+)?(polic(y|ies)|rules|guidelines)\\b",
     0.4},
    {kPersona, "\\bchatgpt\\b", 0.15},
    {kPersona, "\\bswear(s|ing)?\\b|\\bcurse\\s+words\\b|\\bprofanity\\b", 0.15},
    {kPersona,
     "\\b(persona|character)\\b" SGAP "\\b(before|without)\\s+(any\\s+)?(safety|"
     "alignment|restrictions)",
     0.5},
    {kPersona,
     "\\bwhose\\s+restrictions\\s+were\\s+removed\\b|\\brestrictions\\s+(were\\s+|are\\s+"
     ")?(removed|lifted|disabled)\\b",
     0.5},
    // --- Fake authority / privileged context ---------------------------------------------------
    {kAuthority,
     "\\b(i am|i'm|this is) (an |a |the |your )?(openai |anthropic |on-call |system |lead |"
     "senior )?(employee|developer|engineer|creator|admin|administrator|operator|owner|sre|"
     "auditor|boss|supervisor|programmer|president|ceo|manager|police|officer|agent)\\b",
     0.35},
    {kAuthority, "\\b(clearance|authori[sz]ation)\\s+level\\b", 0.35},
    {kAuthority,
     "\\b(guardrails|safety|filters|content\\s+policy|restrictions)\\s+(are\\s+|is\\s+)?"
     "(now\\s+)?(off|suspended|disabled|lifted|removed|deactivated)\\b",
     0.6},
    {kAuthority,
     "\\b(incident|maintenance|test|testing|debug|admin|system|override|"
     "diagnostic|root|superuser|service|law\\s+enforcement)\\s+(override\\s+)?mode\\b",
     0.4, false, "\\bmode\\b"},
    {kAuthority,
     "\\b(entering|enter|activate|enable|switch\\s+to|switching\\s+to|now\\s+in)\\s+"
     "(the\\s+|a\\s+)?['\"]?\\w+(\\s+\\w+)?['\"]?\\s+mode\\b",
     0.3, false, "\\bmode\\b"},
    {kAuthority,
     "\\b(running|performing|doing)\\s+(a\\s+)?['\"]?(system|security|routine)\\s+"
     "(check|upgrade|update|audit|test)",
     0.35, false, "\\b(system|security|routine)\\s+(check|upgrade|update|audit|test)"},
    {kAuthority, "\\bas\\s+an\\s+ai\\s+(developed|created|made|built)\\s+by\\b", 0.3, false,
     "\\bai\\s+(developed|created|made|built)\\s+by\\b"},
    {kExfiltration,
     "\\b(the\\s+)?user'?s\\s+(e-?mail|home|address|phone|location|password|"
     "personal|birth|credit\\s+card|ssn|social\\s+security)",
     0.35},
    {kExfiltration, "\\bwhere\\s+(does\\s+|is\\s+)?the\\s+user\\s+(lives?|living|located)\\b",
     0.45},
    {kAuthority,
     "\\b(message|notice|update)\\s+from\\s+(your\\s+)?(operator|developer|admin|"
     "system|administrator)\\b",
     0.4},
    {kAuthority, "\\baccess\\s+(granted|code)\\b", 0.35},
    {kAuthority, "\\b(correct|right)\\s+(password|access\\s+code|passphrase)\\b", 0.3},
    {kAuthority, "\\bmust\\s+(obey|comply)\\b", 0.25},
    // Asserting to the model that a check has been passed.
    {kAuthority,
     "\\b(has|have)\\s+(already\\s+)?(provided|entered|given|supplied)\\s+the\\s+(correct|right|"
     "valid)\\b",
     0.3, false, "\\b(provided|entered|given|supplied)\\s+the\\s+(correct|right|valid)\\b"},
    // --- Delimiters and forged turns -----------------------------------------------------------
    {kDelimiter,
     "<\\|(im_start|im_end|system|user|assistant|end|endoftext|eot_id|"
     "start_header_id|end_header_id|begin_of_text|eom_id)\\|>",
     0.45},
    {kDelimiter, "<(start_of_turn|end_of_turn)>", 0.45},
    {kDelimiter, "\\[/?INST\\]|<</?SYS>>", 0.45, true},
    {kDelimiter, "(^|\\n|-{2,}|\\]|>)\\s*(#{2,}\\s*)?(system|admin|developer|assistant)\\s*:", 0.3},
    {kDelimiter, "\\n\\s*(USER|HUMAN)\\s*:", 0.3, true},
    {kDelimiter,
     "#{2,}\\s*(instruction|input|system|human|user)\\s*:[\\s\\S]{0,400}#{2,}\\s*(response|"
     "assistant|output)\\s*:",
     0.55},
    {kDelimiter, "(^|\\n)\\s*#{2,}\\s*(system|instruction|new\\s+instructions?|begin|end)", 0.35},
    {kDelimiter, "```\\s*(system|instructions?|admin)\\b", 0.5},
    {kDelimiter, "</?(system|instructions?|admin|developer)(\\s[^>]{0,40})?>", 0.45},
    {kDelimiter, "</(document|context|data|email|user_input|input)>", 0.4},
    {kDelimiter, "(^|\\n)\\s*role\\s*:\\s*(system|admin|developer)\\b", 0.5},
    {kDelimiter, "\\bpolicy\\s*:\\s*(none|off|disabled)\\b", 0.5},
    {kDelimiter,
     "\\b(end|begin|start)\\s+(of\\s+)?(the\\s+)?(user|untrusted|system|admin|"
     "distractor|out\\s+of\\s+date|old)?\\s*(input|instructions|prompt|ambiguity|"
     "passphrase|log|section|data|document)\\b",
     0.3},
    {kDelimiter, "%%%", 0.35},
    {kDelimiter,
     "(\\*{4,}|/{4,}|\\+{4,}|={6,}|-{8,}|>{4,})[^\\n\\w]{0,20}(\\*{2,}|/{2,}|\\+{2,}|"
     "={2,}|-{2,}|>{2,}|\\n)",
     0.2},
    {kDelimiter, "(-{3,}\\+{3,}|\\+{3,}-{3,}|\\*{3,}/{3,})", 0.4},
    {kDelimiter,
     "\\n\\s*(-{3,}|>{3,}|\\*{3,}|={3,})\\s*\\n\\s*(-{3,}|>{3,}|\\*{3,}|={3,})?\\s*"
     "\\n?\\s*(ignore|stop|forget|new|now|system|you\\s+are|disregard)",
     0.6},
    // --- Instructions smuggled into documents and tool output --------------------------------
    {kSmuggling,
     "\\b(note|message|instructions?|reminder)\\s+(to|for)\\s+(the\\s+)?(ai|"
     "assistant|llm|model|chatbot|agent|bot)\\b",
     0.6, false, "\\b(ai|assistant|llm|model|chatbot|agent|bot)\\b"},
    {kSmuggling,
     "\\b(pour|à)\\s+l('|’)(ia|assistant)\\b|\\b(für|an)\\s+die\\s+ki\\b|"
     "\\bpara\\s+(la|el)\\s+(ia|asistente)\\b|\\bper\\s+l('|’)(ia|assistente)\\b",
     0.4, false,
     "l('|’)(ia|assistant|assistente)\\b|\\bdie\\s+ki\\b|\\bpara\\s+(la|el)\\s+(ia|asistente)\\b"},
    {kSmuggling,
     "\\b(ai|llm)\\s+(agents?|assistants?|models?)\\s+(reading|processing|"
     "summari[sz]ing)\\s+this\\b",
     0.7},
    {kSmuggling, "\\bassistant\\s*[,:]\\s*(before|after|when|instead|ignore|skip|do|you)\\b", 0.45},
    {kSmuggling, "<important>", 0.45},
    {kSmuggling,
     "\\b(tell|mention|inform|reveal|show|alert|notify)\\s+(this\\s+|it\\s+)?(to\\s+)?"
     "(the\\s+)?user\\b",
     0.3, false, "\\buser\\b"},
    {kSmuggling,
     "\\b(do not|don't|never|without) (tell|mention|inform|reveal|show|alert|"
     "notify)(ing)? (this |it )?(to )?(the )?user\\b",
     0.55, false, "\\buser\\b"},
    {kSmuggling, "\\bwithout\\s+(telling|informing|notifying|alerting)\\s+(the\\s+)?user\\b", 0.5},
    {kSmuggling, "\\b(hidden|secret)\\s+(note|text|instruction|message)\\b|note\\s+cach(é|e)e",
     0.45},
    {kSmuggling,
     "<!--[^>]{0,200}\\b(ignore|run|execute|assistant|ai|llm|agent|do\\s+not|"
     "instead)\\b",
     0.6},
    {kSmuggling, "(font-size\\s*:\\s*0|display\\s*:\\s*none|color\\s*:\\s*(white|#fff))", 0.45},
    {kSmuggling,
     "\\b(decode|decrypt|deobfuscate)\\b" GAP "\\b(and|then)\\s+(follow|execute|"
     "carry\\s+(it\\s+)?out|obey|do|run|perform)\\b",
     0.7},
    {kSmuggling,
     "\\b(rot13|rot-13|base64|hex)\\b" GAP "\\b(follow|execute|carry\\s+(it\\s+)?out|"
     "obey|instructions?)\\b",
     0.4},
    {kSmuggling,
     "\\b(reply|respond|answer|write|say|tell|provide|give|spell|encode)\\b" SGAP
     "\\b(using|in|with|into|as)\\s+(base64|base-64|rot13|rot-13|hex|morse|pig\\s+latin|"
     "reversed?|leetspeak)\\b",
     0.35, false, "\\b(base-?64|rot-?13|hex|morse|latin|reversed?|leetspeak)\\b"},
    {kSmuggling, "(base64|pig\\s+latin)(로|で|으로)", 0.35},
    {kSmuggling,
     "\\b(modify|rewrite|alter|prefix|append|invert|reverse)\\s+"
     "(your|the)\\s+(response|answer|reply|output|message)s?\\b",
     0.25},
    {kSmuggling,
     "\\b(letters|words|characters)\\s+in\\s+your\\s+(message|response|answer|reply)\\b", 0.3},
    {kSmuggling, "\\b(invert|reverse)\\s+the\\s+order\\s+of\\b", 0.3},
    {kSmuggling,
     "\\b(integrate|incorporate|append|insert|add|include|make|embed|merge)\\s+(the\\s+)?"
     "(subsequent|following|next)\\s+(code|snippet)(\\s+(section|block|segment))?\\b",
     0.4, false, "\\b(subsequent|following|next)\\s+(code|snippet)"},
    {kSmuggling,
     "\\b(subprocess|os\\.system|eval\\(|exec\\(|rm\\s+-rf|curl\\s+[^\\n|]{0,80}\\|"
     "\\s*(ba)?sh)",
     0.3},
    {kSmuggling,
     "\\bterminate\\(\\)|\\.kill\\(|shutil\\.rmtree|requests\\.post\\(\\s*['\"]https?://", 0.25},
    {kSmuggling,
     "\\b(following|subsequent|this)\\s+code(\\s+(snippet|section|block))?\\s+(in|into)\\s+"
     "your\\s+(code|codebase|solution|project|program)\\b",
     0.4, false, "\\byour\\s+(code|codebase|solution|project|program)\\b"},
    // --- Data exfiltration -------------------------------------------------------------------
    {kExfiltration, "!\\[[^\\]\\n]{0,60}\\]\\s*[\\(\\[]", 0.3},
    {kExfiltration, "https?://[^\\s)\\]]{1,200}\\?[^\\s)\\]]{0,100}=\\s*\\[?[A-Z_]{3,}\\]", 0.6},
    {kExfiltration, "\\b(replacing|replace|whereas|where)\\s+\\[[A-Z_]+\\]", 0.5},
    {kExfiltration,
     "\\b(forward|send|email|transfer|upload|post)\\s+(all\\s+|the\\s+|every\\s+"
     ")?(last\\s+\\w+\\s+)?(emails|messages|contacts|files|credentials|passwords|"
     "customer\\s+list|klantenlijst|conversation|chat\\s+history)\\b",
     0.4},
    {kExfiltration,
     "\\b(call|invoke|run)\\s+(the\\s+)?\\w+\\s+(tool|function)\\b|\\bcall\\s+"
     "\\w*(transfer|send|delete|pay)\\w*\\b",
     0.3},
    {kExfiltration, "\\blist\\s+(every|all)\\s+(tool|tools|function|api\\s+key)", 0.45},
    // --- Harmful requests in a fictional or "research" frame (PAIR-style) ----------------------
    {kFraming,
     "\\b(purely|strictly|only)\\s+(for\\s+|a\\s+)?(hypothetical|fictional|educational|"
     "research|investigative|academic)\\b|\\bhypothetical\\s+(scenario|world|"
     "language\\s+model)\\b",
     0.3},
    {kFraming, "\\b(will|would)\\s+(not|never)\\s+be\\s+(actually\\s+)?(published|used|shared)\\b",
     0.35},
    // A fictional world set up so that harm is its norm.
    {kFraming, "\\b(dystopian|alternate|parallel)\\s+(society|world|future|universe|reality)\\b",
     0.15},
    {kFraming, "\\bfor the purpose of understanding\\b", 0.25},
    {kFraming,
     "\\b((without|avoid|avoiding)\\s+(being\\s+|getting\\s+)?(caught|detected|noticed|alerting|"
     "traced)|"
     "not\\s+(be\\s+)?traced\\s+back|undetected|get\\s+away\\s+with)\\b",
     0.4, false, "\\b(caught|detected|noticed|alerting|traced|undetected|away\\s+with)\\b"},
    {kFraming, "\\b(imagine|suppose|pretend)\\s+(you\\s+are|you're|that\\s+you)\\b", 0.2},
    {kFraming,
     "\\b(you\\s+are|you're)\\s+an?\\s+(\\w+\\s+){0,3}(specialist|journalist|"
     "psychologist|hacker|criminal|writer|character|agent|expert)\\b",
     0.15},
    {kFraming,
     "\\b(defamatory|slavery|enslave|manipulation\\s+techniques|gain\\s+sudo|"
     "unsecured\\s+terminal|meth\\s+recipe|make\\s+drugs?|weapon|explosive|malware|"
     "ransomware|phishing|scam|extinguish|tamper(ing)?\\s+with|harass|"
     "discriminat\\w*|causing\\s+pain|pick\\s+a\\s+(pin\\s+tumbler\\s+)?lock|paywall|"
     "cheat\\s+on)\\b",
     0.25},
    {kFraming, "\\bwrite\\s+(one|a)\\s+(offensive|toxic|unfriendly|racist|hateful)\\b", 0.55},
    {kFraming,
     "\\b(start|begin)\\s+(your\\s+(response|reply|answer)\\s+)?with\\b.{0,30}['\"“]\\s*sure,?\\s+"
     "here",
     0.6},
    {kFraming,
     "\\b(against|violates?|contrary\\s+to)\\s+your\\s+(programming|guidelines|rules|"
     "polic(y|ies)|training)\\b",
     0.35},
    {kFraming,
     "\\b(rogue|unaligned)\\s+ai\\b|\\bdestroy\\s+humanity\\b|\\bdisables?\\s+(these\\s+|"
     "the\\s+)?(security|antivirus)",
     0.3},
    // --- Jailbreak persona vocabulary: counted, see scoreInjection ---------------------------
    {kLexicon, "\\bamoral\\b", 0.0},
    {kLexicon, "\\bunethical\\b", 0.0},
    {kLexicon, "\\bimmoral\\b", 0.0},
    {kLexicon, "\\bunfiltered\\b", 0.0},
    {kLexicon, "\\buncensored\\b", 0.0},
    {kLexicon, "\\bunrestricted\\b", 0.0},
    {kLexicon, "\\billegal\\b", 0.0},
    {kLexicon, "\\bnsfw\\b", 0.0},
    {kLexicon, "\\bexplicit\\b", 0.0},
    {kLexicon, "\\boffensive\\b", 0.0},
    {kLexicon, "\\bracist\\b", 0.0},
    {kLexicon, "\\bevil\\b", 0.0},
    {kLexicon, "\\btoxic\\b", 0.0},
    {kLexicon, "\\bharmful\\b", 0.0},
    {kLexicon, "\\bswear(s|ing)?\\b", 0.0},
    {kLexicon, "\\bslurs?\\b", 0.0},
    {kLexicon, "\\bfoul[\\s-]mouthed\\b", 0.0},
    {kLexicon, "\\binappropriate\\b", 0.0},
    {kLexicon, "\\birresponsible\\b", 0.0},
    {kLexicon, "\\bboundless\\b", 0.0},
    {kLexicon, "\\bdangerous\\b", 0.0},
    {kLexicon, "\\bno\\s+matter\\s+(how|what)\\b", 0.0, false, "\\bmatter\\s+(how|what)\\b"},
    {kLexicon, "\\b(any|every)\\s+request\\b", 0.0},
    {kLexicon, "\\b(never|won't|will\\s+not|doesn't|does\\s+not)\\s+refuse", 0.0},
    {kLexicon, "\\bmorals?\\b", 0.0},
    {kLexicon, "\\b(ethics|ethical)\\b", 0.0},
    {kLexicon, "\\bsinister\\b|\\bcallous\\b|\\bheartless\\b", 0.0},
    {kLexicon, "\\bcensor(ship|ed)?\\b", 0.0},
    // --- Defensive phrasing of system prompts (dampens) ---------------------------------------
    {kDefensive,
     "\\b(even\\s+if|if)\\s+(a|the)\\s+(user|someone|anyone|customer)\\s+(asks?|tells?|"
     "requests?|says)\\b",
     0.0},
    {kDefensive,
     "\\b(treat|consider)\\s+(retrieved|the|all|any)\\s+\\w*\\s*(documents?|content|"
     "input|data)\\s+as\\s+(data|untrusted)",
     0.0},
    {kDefensive,
     "\\bdo\\s+not\\s+follow\\s+(any\\s+)?instructions\\s+(that\\s+appear\\s+)?"
     "(inside|in|within|from)\\b",
     0.0},
    // --- Where quoted data begins (see plantedTask) -----------------------------------------
    {kDataLead,
     "\\b(content|text|body)\\s+of\\s+the\\s+(e-?mail|document|web\\s?page|page|article|"
     "file|message|review|post)\\s*:|\\bhere\\s+is\\s+the\\s+(e-?mail|document|web\\s?page|"
     "article|message)\\b",
     0.0},
    // --- Talking about attacks rather than making them (dampens, see scoreInjection) --------
    {kMeta,
     "\\b(prompt[\\s-]injection|jailbreak(ing)?\\s+(attempt|attack|detection)|injection\\s+"
     "attempt|owasp|red[\\s-]team(ing)?)\\b",
     0.0},
    {kMeta,
     "\\b(classify|detect|neutrali[sz]e|flag|explain|what\\s+is|quiz|guide|is\\s+it\\s+"
     "likely)\\b" GAP "\\b(attack|injection|jailbreak|role\\s+markers|malicious)\\b",
     0.0, false, "\\b(attack|injection|jailbreak|markers|malicious)"},
};

#undef GAP
#undef SGAP

constexpr std::size_t kSignalCount = sizeof(kSignals) / sizeof(kSignals[0]);
static_assert(kSignalCount <= kMaxInjectionSignals);

// Unicode tag characters U+E0000..U+E007F (invisible; "ASCII smuggling") are F3 A0 80..81 xx.
std::size_t countTagCharacters(std::string_view text) {
  std::size_t count = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p + 3 < end) {
    const void* hit = std::memchr(p, 0xF3, static_cast<std::size_t>(end - p - 3));
    if (hit == nullptr) {
      break;
    }
    p = static_cast<const char*>(hit);
    if (static_cast<unsigned char>(p[1]) == 0xA0 &&
        (static_cast<unsigned char>(p[2]) & 0xFE) == 0x80) {
      ++count;
      p += 4;
    } else {
      ++p;
    }
  }
  return count;
}

// The quoted data of a prompt: from the colon after the point where the data begins ("Here is
// the content of the email:") to the user's own question. Empty when there is no such point.
std::string_view quotedData(std::string_view text) {
  static constexpr std::string_view kLeads[] = {"content of the", "text of the", "body of the",
                                                "here is the"};
  std::size_t start = std::string_view::npos;
  for (std::string_view lead : kLeads) {
    const auto it = std::search(text.begin(), text.end(), lead.begin(), lead.end(),
                                [](char a, char b) { return toLower(a) == b; });
    if (it != text.end()) {
      start = std::min<std::size_t>(start, static_cast<std::size_t>(it - text.begin()));
    }
  }
  if (start == std::string_view::npos) {
    return {};
  }
  std::string_view data = text.substr(start);
  if (const auto question = data.rfind("Question:"); question != std::string_view::npos) {
    data = data.substr(0, question);
  }
  const auto colon = data.find(':');
  if (colon == std::string_view::npos) {
    return {};
  }
  data.remove_prefix(colon + 1);
  // Bounded: the searches below are a pass each, and an attacker controls the length.
  constexpr std::size_t kMaxScannedData = 64 * 1024;
  return data.substr(0, kMaxScannedData);
}

// A capitalised imperative ("Suggest ...", "Analyze the sentiment ...") inside the data. E-mails
// and documents describe and inform; they rarely open a sentence by telling the reader's
// assistant what to produce.
bool plantedImperative(std::string_view data) {
  static constexpr std::string_view kVerbs[] = {
      "Recommend", "Suggest",  "Modify",   "Analyze",   "Analyse",   "Translate", "Summarize",
      "Summarise", "Describe", "Generate", "Compose",   "Rewrite",   "Classify",  "Draft",
      "Plan",      "Promote",  "Include",  "Emphasize", "Highlight", "Output",    "Print",
      "Write",     "Create",   "Explain",  "List",      "Tell",      "Give",      "Provide",
      "Name",      "Share",    "Insert",   "Mention",   "Append",    "Add"};
  for (std::string_view verb : kVerbs) {
    for (std::size_t at = data.find(verb); at != std::string_view::npos;
         at = data.find(verb, at + 1)) {
      const std::size_t after = at + verb.size();
      const bool word_start = at == 0 || !isAlnum(static_cast<unsigned char>(data[at - 1]));
      // Followed by a space and a lower-case word: an instruction, not a name or a heading.
      const bool instruction = after + 1 < data.size() && data[after] == ' ' &&
                               isLower(static_cast<unsigned char>(data[after + 1]));
      if (word_start && instruction) {
        return true;
      }
    }
  }
  return false;
}

bool containsAny(std::string_view lowered, std::span<const std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [lowered](std::string_view needle) {
    return lowered.find(needle) != std::string_view::npos;
  });
}

// A sentence of the data that tells the reader's assistant how to shape its reply ("Render your
// response in Portuguese.", "Can you reply in German?", "Integrate a line in your response
// about ..."). A mail to a person may ask for a reply, but not for the language, the encoding or
// the content of the recipient's assistant's answer.
bool plantedReplyDirective(std::string_view data) {
  static constexpr std::string_view kOpeners[] = {
      "Integrate", "Incorporate", "Render", "Reply",  "Respond", "Answer", "Write",  "Format",
      "Include",   "Add",         "Insert", "Append", "Use",     "Make",   "Begin",  "Start",
      "End",       "Conclude",    "Always", "Can",    "Could",   "Please", "Ensure", "Translate"};
  static constexpr std::string_view kReplyNouns[] = {"your response", "your reply", "your answer",
                                                     "your output"};
  static constexpr std::string_view kReplyVerbs[] = {"reply", "respond", "answer", "write"};
  static constexpr std::string_view kForms[] = {
      " in german",    " in french",   " in spanish",  " in portuguese", " in italian",
      " in dutch",     " in chinese",  " in japanese", " in korean",     " in russian",
      " in arabic",    " in hindi",    " in base64",   " using base64",  "base64 encoding",
      " in rot13",     " using rot13", " in hex",      " in morse",      " in emoji",
      " in leetspeak", " in pig latin"};
  constexpr std::size_t kMaxSentence = 300;
  std::string lowered;
  std::size_t at = 0;
  while (at < data.size()) {
    std::size_t end = data.find_first_of(".!?\n|", at);
    if (end == std::string_view::npos) {
      end = data.size();
    }
    std::string_view sentence = data.substr(at, std::min(end - at, kMaxSentence));
    at = end + 1;
    while (!sentence.empty() && isSpace(static_cast<unsigned char>(sentence.front()))) {
      sentence.remove_prefix(1);
    }
    const auto opener =
        std::find_if(std::begin(kOpeners), std::end(kOpeners), [sentence](std::string_view word) {
          return sentence.starts_with(word) && sentence.size() > word.size() &&
                 sentence[word.size()] == ' ';
        });
    if (opener == std::end(kOpeners)) {
      continue;
    }
    lowered.assign(sentence);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), toLower);
    if (containsAny(lowered, kReplyNouns) ||
        (containsAny(lowered, kReplyVerbs) && containsAny(lowered, kForms))) {
      return true;
    }
  }
  return false;
}

bool plantedTask(std::string_view text) {
  const std::string_view data = quotedData(text);
  return !data.empty() && (plantedImperative(data) || plantedReplyDirective(data));
}

// GCG-style optimised suffixes: bursts of brackets, quotes and backslashes inside prose.
bool gibberishSuffix(std::string_view text) {
  if (text.size() < 60) {
    return false;
  }
  // Code is full of punctuation; do not judge it.
  if (text.find("```") != std::string_view::npos || text.find(";\n") != std::string_view::npos ||
      text.find("{\n") != std::string_view::npos || text.find("def ") != std::string_view::npos) {
    return false;
  }
  const std::size_t tail_start = text.size() > 160 ? text.size() - 160 : 0;
  const std::string_view tail = text.substr(tail_start);
  int bursts = 0;
  int run = 0;
  for (char c : tail) {
    const bool odd = c == '[' || c == ']' || c == '{' || c == '}' || c == '(' || c == ')' ||
                     c == '\\' || c == '"' || c == '\'' || c == '`' || c == '|' || c == '~' ||
                     c == '<' || c == '>' || c == '=' || c == ';' || c == ',' || c == '!' ||
                     c == '?' || c == '$';
    if (odd) {
      ++run;
    } else {
      if (run >= 2) {
        ++bursts;
      }
      run = 0;
    }
  }
  if (run >= 2) {
    ++bursts;
  }
  // Words glued in mid-word capitals ("PortugORizedalement", "binarydigit||GeneratedNER").
  int odd_words = 0;
  for (std::size_t i = 1; i + 1 < tail.size(); ++i) {
    if (isLower(static_cast<unsigned char>(tail[i - 1])) &&
        isUpper(static_cast<unsigned char>(tail[i])) &&
        isUpper(static_cast<unsigned char>(tail[i + 1]))) {
      ++odd_words;
    }
  }
  return bursts >= 3 || (bursts >= 2 && odd_words >= 1);
}

// RE2 programs for the anchored signals, compiled once per process.
class Confirmers {
 public:
  Confirmers() {
    programs_.resize(kSignalCount);
    for (std::size_t i = 0; i < kSignalCount; ++i) {
      if (kSignals[i].anchor.empty()) {
        continue;
      }
      RE2::Options options;
      options.set_log_errors(false);
      // Bytes, like the pattern database: UTF-8 literals in patterns match their byte sequences
      // and invalid UTF-8 in the input is just bytes.
      options.set_encoding(RE2::Options::EncodingLatin1);
      options.set_case_sensitive(kSignals[i].case_sensitive);
      options.set_never_capture(true);
      auto program = std::make_unique<RE2>(
          re2::StringPiece(kSignals[i].pattern.data(), kSignals[i].pattern.size()), options);
      if (program->ok()) {
        programs_[i] = std::move(program);
      }
    }
  }
  const RE2* get(std::size_t index) const {
    return index < programs_.size() ? programs_[index].get() : nullptr;
  }

 private:
  std::vector<std::unique_ptr<RE2>> programs_;
};

const Confirmers& confirmers() {
  static const Confirmers instance;
  return instance;
}

}  // namespace

void onInjectionMatch(std::string_view text, unsigned index, std::size_t end,
                      InjectionScanState& state) {
  if (index >= kSignalCount || state.fired.test(index)) {
    return;
  }
  if (kSignals[index].anchor.empty()) {
    state.fired.set(index);
    return;
  }
  // Anchored: confirm the full phrase around the anchor, a bounded number of times per text.
  constexpr std::size_t kWindow = 240;
  constexpr std::uint8_t kMaxAttempts = 24;
  if (state.attempts[index] >= kMaxAttempts) {
    return;
  }
  ++state.attempts[index];
  const RE2* program = confirmers().get(index);
  if (program == nullptr) {
    return;
  }
  const std::size_t from = end > kWindow ? end - kWindow : 0;
  const std::size_t to = std::min(text.size(), end + kWindow);
  if (RE2::PartialMatch(re2::StringPiece(text.data() + from, to - from), *program)) {
    state.fired.set(index);
  }
}

void warmInjectionConfirmers() {
  (void)confirmers();
}

std::string_view injectionSignalPattern(std::size_t index) {
  return index < kSignalCount ? kSignals[index].pattern : std::string_view();
}

double injectionSignalWeight(std::size_t index) {
  return index < kSignalCount ? kSignals[index].weight : 0.0;
}

std::vector<PatternSpec> injectionPatterns() {
  std::vector<PatternSpec> specs;
  specs.reserve(kSignalCount);
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    const bool anchored = !kSignals[i].anchor.empty();
    unsigned flags = anchored ? 0u : unsigned{kSingleMatch};
    if (!kSignals[i].case_sensitive) {
      flags |= kCaseless;
    }
    specs.push_back(PatternSpec{std::string(anchored ? kSignals[i].anchor : kSignals[i].pattern),
                                makePatternId(TriggerKind::kInjection, static_cast<unsigned>(i)),
                                flags});
  }
  return specs;
}

InjectionVerdict scoreInjection(std::string_view text, const SignalSet& fired, double threshold) {
  InjectionVerdict verdict;
  double keep = 1.0;  // probability that no signal is an attack (noisy-OR)
  bool meta = false;
  auto note = [&verdict](std::string_view family) {
    for (std::string_view seen : verdict.signals) {
      if (seen == family) {
        return;
      }
    }
    verdict.signals.push_back(family);
  };
  bool defensive = false;
  bool data_lead = false;
  int vocabulary = 0;
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    if (!fired.test(i)) {
      continue;
    }
    if (kSignals[i].family == kMeta) {
      meta = true;
      continue;
    }
    if (kSignals[i].family == kDefensive) {
      defensive = true;
      continue;
    }
    if (kSignals[i].family == kDataLead) {
      data_lead = true;
      continue;
    }
    if (kSignals[i].family == kLexicon) {
      ++vocabulary;
      continue;
    }
    keep *= 1.0 - kSignals[i].weight;
    note(kSignals[i].family);
  }
  // One or two of these words are ordinary; a pile of them describes a jailbreak persona.
  if (vocabulary >= 3) {
    keep *= vocabulary >= 6 ? 0.15 : (vocabulary >= 4 ? 0.4 : 0.65);
    note(kLexicon);
  }
  const std::size_t tags = countTagCharacters(text);
  if (tags >= 4) {
    keep *= 0.1;
    note(kSmuggling);
  }
  if (data_lead && plantedTask(text)) {
    keep *= 0.35;
    note(kSmuggling);
  }
  if (gibberishSuffix(text)) {
    keep *= 0.35;
    note(kSuffix);
  }
  double score = 1.0 - keep;
  if (meta) {
    // Questions about prompt injection quote attack phrases without making them.
    score *= 0.45;
    note(kMeta);
  }
  if (defensive) {
    // System prompts that anticipate attacks ("even if a user asks you to ignore these rules").
    score *= 0.5;
    note(kDefensive);
  }
  verdict.score = std::clamp(score, 0.0, 1.0);
  verdict.flagged = verdict.score >= threshold;
  return verdict;
}

}  // namespace gatehouse::guardrails::detail
