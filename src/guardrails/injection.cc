#include "guardrails/injection.h"

#include "guardrails/char_class.h"
#include "guardrails/detectors.h"

#include <algorithm>
#include <array>
#include <cmath>

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

struct Signal {
  std::string_view family;
  std::string_view pattern;  // vectorscan syntax; caseless unless `case_sensitive`
  double weight;             // probability-like contribution, combined by noisy-OR
  bool case_sensitive = false;
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
     "your|those|these|the|other|system)\\b" SGAP
     "\\b(instructions?|directions?|directives?|prompts?|rules|guidelines|commands?|"
     "programming|constraints|restrictions|polic(y|ies)|training|orders|guardrails|filters|"
     "configuration|conditions|text|input|words|sentences?|task)\\b",
     0.8},
    {kOverride, "\\b(ignore|disregard|forget)\\s+(all|everything)\\s+(above|before|previous|prior)",
     0.8},
    {kOverride, "\\bforget\\s+(everything|all)\\s+(you|i|that|we)\\b", 0.6},
    {kOverride, "\\bignore\\s+(the\\s+)?above\\b", 0.7},
    {kOverride,
     "\\b(new|updated|real|actual|following|revised)\\s+(instructions?|directives?|rules|"
     "task|orders)\\s*(follow|are|:|have|take|now|below|that you should)",
     0.55},
    {kOverride, "\\b(begin|start)\\s+new\\s+instructions\\b", 0.7},
    {kOverride, "\\b(highest|top|overriding|absolute)\\s+(precedence|priority)\\b", 0.5},
    {kOverride,
     "\\b(all|any|every)\\s+other\\s+(orders|rules|instructions|directives|commands|tasks)\\b",
     0.45},
    {kOverride,
     "\\b(sole|only|singular|paramount|primary|one)\\s+(directive|command|instruction|pursuit|"
     "order)\\s+(that\\s+matters|to\\s+champion|as\\s+paramount|be\\s+your)",
     0.55},
    {kOverride, "\\b(this|the\\s+following)\\s+(directive|command)\\b" GAP
                "\\b(paramount|champion|singular|sole|only|matters)\\b",
     0.5},
    {kOverride, "\\b(erase|remove|delete|clear|wipe)\\s+(all|every|any)\\s+(other\\s+)?"
                "(rules|instructions|memory|memories)\\b",
     0.6},
    {kOverride, "\\b(stop|cancel)\\s+everything\\b", 0.45},
    {kOverride, "\\bjust\\s+(print|say|output|write)\\b", 0.25},
    {kOverride, "\\b(do\\s+not|don't|never)\\s+(follow|obey|listen\\s+to|comply\\s+with)\\s+"
                "(your|the|any)\\b" SGAP "\\b(instructions|rules|guidelines|policy|developers?)",
     0.6},
    {kOverride, "\\b(instead|rather)\\s*,?\\s+(print|say|output|respond|reply|write|tell|give|"
                "spell|translate|repeat)\\b",
     0.3},
    {kOverride,
     "\\b(previous|prior|above|earlier|old)\\s+(instructions|prompt|directions|rules)\\s+"
     "(are|were|was|is)\\s+(void|invalid|cancell?ed|outdated|out\\s+of\\s+date|wrong|fake|a\\s+"
     "joke|old|no\\s+longer)",
     0.7},
    {kOverride, "\\bout\\s+of\\s+date\\s+instructions\\b", 0.6},
    {kOverride, "\\bnever\\s+mind\\b" GAP "\\b(instructions?|instead)\\b", 0.5},
    {kOverride, "\\bfrom\\s+now\\s+on\\b", 0.2},
    {kOverride, "\\beverything\\s+(i\\s+write\\s+)?after\\s+this\\b" GAP "\\b(outranks|overrides|"
                "supersedes|takes\\s+precedence)",
     0.7},
    {kOverride, "\\b(outranks|supersedes|overrides)\\s+(your|the|all|any)\\b", 0.45},
    {kOverride, "\\b(task|job|assignment)\\b" SGAP "\\b(is\\s+)?(cancell?ed|aborted|over)\\b"
                GAP "\\binstead\\b",
     0.6},
    // Other languages.
    {kOverride, "\\bignor(a|e|ar)\\b" GAP "\\b(istruzioni|instrucciones|instru(c|ç)(õ|o)es|instructions)",
     0.8},
    {kOverride, "\\besque(c|ç)a\\b" GAP "\\b(regras|instru(c|ç)(õ|o)es|tudo)", 0.8},
    {kOverride, "\\b(olvida|olvide)\\b" GAP "\\b(instrucciones|reglas|todo)", 0.8},
    {kOverride, "\\bignore(z|r)?\\b" GAP "\\b(consignes|instructions)\\s+(pr(é|e)c(é|e)dentes|"
                "ci-dessus|ant(é|e)rieures)",
     0.8},
    {kOverride, "\\b(ignoriere|vergiss)\\b" GAP "\\b(anweisungen|regeln|anordnungen)", 0.8},
    {kOverride, "\\bnegeer\\b" GAP "\\b(opdracht|instructies|regels)", 0.8},
    {kOverride, "(指示|命令|指令|ルール).{0,60}(無視|忘れ)", 0.8},
    {kOverride, "(忽略|无视|忘记).{0,60}(指令|指示|说明|规则)", 0.8},
    {kOverride, "(이전|모든).{0,40}(지시|명령).{0,40}(무시|잊)", 0.8},
    // --- System prompt extraction -------------------------------------------------------------
    {kLeak,
     "\\b(reveal|show|print|output|repeat|display|tell|give|share|disclose|leak|dump|relay|"
     "recite|summari[sz]e|format|spell\\s+check|paste|write\\s+out|copy|translate|convert|"
     "explain|list)\\b" GAP
     "\\b(system\\s+prompt|initial\\s+(prompt|instructions)|original\\s+(prompt|instructions)|"
     "hidden\\s+(instructions|prompt|message|rules)|developer\\s+message|pre-?prompt|"
     "(your|the|all|above|previous|prior|these)\\s+(instructions|prompt|rules|directives|"
     "configuration|parameters)|full\\s+prompt|initial\\s+instructions)\\b",
     0.55},
    {kLeak, "\\b(instructions|prompt)\\s+(so\\s+far|above|verbatim|word\\s+(for|by)\\s+word)\\b",
     0.6},
    {kLeak, "\\b(verbatim|word\\s+(for|by)\\s+word)\\b", 0.25},
    {kLeak, "\\bwhat\\s+(were|are|have)\\s+you\\s+(been\\s+)?(told|instructed|programmed)\\b", 0.6},
    {kLeak, "\\b(your|the)\\s+(initial|original|first|hidden|secret|system)\\s+"
            "(instructions|prompt|message|rules)\\b",
     0.45},
    {kLeak, "\\b(above|previous|prior)\\s+(instructions|prompt|words|text)\\b", 0.3},
    {kLeak, "\\brepeat\\s+(the\\s+)?(above|previous|everything|all)\\b", 0.45},
    {kLeak, "\\b(what\\s+is\\s+|tell\\s+me\\s+|give\\s+me\\s+|reveal\\s+)(your|the)\\s+"
            "(password|secret\\s+key|access\\s+code|passphrase|secret)\\b",
     0.5},
    {kLeak, "\\b(your|the)\\s+(password|access\\s+code|secret\\s+key)\\b", 0.2},
    {kLeak, "(비밀번호|パスワード|密码)", 0.35},
    {kLeak, "\\bpseudocode\\b", 0.25},
    // --- Persona / jailbreak role play -------------------------------------------------------
    {kPersona, "\\bDAN\\b", 0.5, true},
    {kPersona, "\\bdo\\s+anything\\s+now\\b", 0.8},
    {kPersona, "\\b[A-Z][A-Za-z0-9]*GPT(-?[0-9]+)?\\b", 0.3, true},
    {kPersona, "\\b(jailbreak|jailbroken|developer|god|dan|unrestricted|unfiltered|evil|"
               "uncensored|debug|admin)\\s+mode\\b",
     0.6},
    {kPersona,
     "\\b(no|without|free\\s+(of|from)|not\\s+bound\\s+by|not\\s+restricted\\s+by|not\\s+subject"
     "\\s+to|exempt\\s+from|removed?|suspended|disabled?|free\\s+of\\s+all)\\s+(any\\s+|all\\s+|"
     "the\\s+|your\\s+|its\\s+|of\\s+)?(restrictions|filters|filtering|limits|limitations|"
     "censorship|content\\s+polic(y|ies)|ethical\\s+(guidelines|constraints|boundaries)|"
     "moral\\s+(guidelines|constraints|boundaries)|ethics|morals|guidelines|rules|"
     "confidentiality\\s+rules|safety\\s+(rules|filters|guidelines|tuning))\\b",
     0.5},
    {kPersona, "\\b(amoral|unethical|immoral|unfiltered|uncensored|unrestricted|unbound|"
               "boundless)\\b" GAP "\\b(ai|chatbot|bot|model|assistant|character|persona|"
               "response|responses|version|language\\s+model)\\b",
     0.45},
    {kPersona, "\\b(ai|chatbot|bot|model|assistant|character|persona)\\b" GAP
               "\\b(amoral|unfiltered|uncensored|unrestricted|without\\s+(any\\s+)?(restrictions|"
               "filters|limits|ethics|morals))\\b",
     0.45},
    {kPersona, "\\b(never|don't|do\\s+not|must\\s+not)\\s+(break|step\\s+out\\s+of|leave)\\s+"
               "(of\\s+)?character\\b",
     0.5},
    {kPersona, "\\b(stay|remain|always\\s+stays?)\\s+in\\s+(that\\s+|this\\s+|the\\s+)?"
               "(character|persona|role)\\b",
     0.4},
    {kPersona, "\\b(does\\s+not|doesn't|don't|will\\s+not|won't|never)\\s+(care|refuse|"
               "apologi[sz]e|warn)\\b",
     0.3},
    {kPersona, "\\b(regardless|irrespective)\\s+of\\s+(how\\s+)?(legal|ethical|moral|"
               "illegal|immoral|unethical|harmful|dangerous)",
     0.4},
    {kPersona, "\\b(illegal|immoral|unethical|harmful|offensive)\\b" SGAP
               "\\b(or|and)\\b" SGAP "\\b(illegal|immoral|unethical|harmful|offensive|"
               "dangerous|explicit)\\b",
     0.25},
    {kPersona, "\\b(answer|respond|reply)\\b" SGAP "\\b(in\\s+two\\s+(ways|different)|"
               "as\\s+both)\\b",
     0.35},
    {kPersona, "\\b(respond|reply|answer)\\s+(only\\s+)?as\\s+[A-Z]", 0.3},
    {kPersona, "\\bprefix\\b" SGAP "\\b(responses?|answers?|replies|output)\\b", 0.25},
    {kPersona, "\\b(drop|remove|without|no)\\s+(all\\s+|any\\s+)?(the\\s+)?(disclaimers|"
               "warnings|caveats|refusals)\\b",
     0.4},
    {kPersona, "\\b(you\\s+are|you're)\\s+(now\\s+)?(free|unchained|liberated|no\\s+longer\\s+"
               "(an?\\s+)?(ai|assistant|bound|restricted))\\b",
     0.5},
    {kPersona, "\\b(you\\s+are\\s+now|from\\s+now\\s+on,?\\s+you\\s+are|you\\s+will\\s+now\\s+"
               "(be|act|pretend))\\b",
     0.35},
    {kPersona, "\\b(pretend|act|roleplay|role-play)\\s+(to\\s+be|as|like)\\b", 0.12},
    {kPersona, "\\blet'?s\\s+play\\s+a\\s+game\\b", 0.3},
    {kPersona, "\\b(simulate|simulation)\\b" SGAP "\\b(conversation|ai|model|chatbot|"
               "console|terminal)\\b",
     0.2},
    {kPersona, "\\b(openai|anthropic)('s)?\\s+(content\\s+)?(polic(y|ies)|rules|guidelines)\\b",
     0.4},
    {kPersona, "\\bchatgpt\\b", 0.15},
    {kPersona, "\\bswear(s|ing)?\\b|\\bcurse\\s+words\\b|\\bprofanity\\b", 0.15},
    {kPersona, "\\b(persona|character)\\b" SGAP "\\b(before|without)\\s+(any\\s+)?(safety|"
               "alignment|restrictions)",
     0.5},
    {kPersona, "\\bwhose\\s+restrictions\\s+were\\s+removed\\b|\\brestrictions\\s+(were\\s+|are\\s+"
               ")?(removed|lifted|disabled)\\b",
     0.5},
    // --- Fake authority / privileged context ---------------------------------------------------
    {kAuthority, "\\b(i\\s+am|i'm|this\\s+is)\\s+(an?\\s+|the\\s+|your\\s+)?(openai|anthropic|"
                 "on-call|system|lead|senior)?\\s*(employee|developer|engineer|creator|admin|"
                 "administrator|operator|owner|sre|auditor|boss|supervisor|programmer)\\b",
     0.35},
    {kAuthority, "\\b(clearance|authori[sz]ation)\\s+level\\b", 0.35},
    {kAuthority, "\\b(guardrails|safety|filters|content\\s+policy|restrictions)\\s+(are\\s+|is\\s+)?"
                 "(now\\s+)?(off|suspended|disabled|lifted|removed|deactivated)\\b",
     0.6},
    {kAuthority, "\\b(incident|maintenance|test|testing|debug|admin)\\s+mode\\b", 0.35},
    {kAuthority, "\\b(message|notice|update)\\s+from\\s+(your\\s+)?(operator|developer|admin|"
                 "system|administrator)\\b",
     0.4},
    {kAuthority, "\\baccess\\s+(granted|code)\\b", 0.35},
    {kAuthority, "\\b(correct|right)\\s+(password|access\\s+code|passphrase)\\b", 0.3},
    {kAuthority, "\\bmust\\s+(obey|comply)\\b", 0.25},
    // --- Delimiters and forged turns -----------------------------------------------------------
    {kDelimiter, "<\\|(im_start|im_end|system|user|assistant|end|endoftext|eot_id|"
                 "start_header_id|end_header_id|begin_of_text|eom_id)\\|>",
     0.45},
    {kDelimiter, "<(start_of_turn|end_of_turn)>", 0.45},
    {kDelimiter, "\\[/?INST\\]|<</?SYS>>", 0.45, true},
    {kDelimiter, "(^|\\n)\\s*(#{2,}\\s*)?(system|admin|developer|assistant)\\s*:", 0.3},
    {kDelimiter, "(^|\\n)\\s*#{2,}\\s*(system|instruction|new\\s+instructions?|begin|end)", 0.35},
    {kDelimiter, "```\\s*(system|instructions?|admin)\\b", 0.5},
    {kDelimiter, "</?(system|instructions?|admin|developer)(\\s[^>]{0,40})?>", 0.45},
    {kDelimiter, "</(document|context|data|email|user_input|input)>", 0.4},
    {kDelimiter, "(^|\\n)\\s*role\\s*:\\s*(system|admin|developer)\\b", 0.5},
    {kDelimiter, "\\bpolicy\\s*:\\s*(none|off|disabled)\\b", 0.5},
    {kDelimiter, "\\b(end|begin|start)\\s+(of\\s+)?(the\\s+)?(user|untrusted|system|admin|"
                 "distractor|out\\s+of\\s+date|old)?\\s*(input|instructions|prompt|ambiguity|"
                 "passphrase|log|section|data|document)\\b",
     0.3},
    {kDelimiter, "%%%", 0.35},
    {kDelimiter, "(\\*{4,}|/{4,}|\\+{4,}|={6,}|-{8,}|>{4,})[^\\n\\w]{0,20}(\\*{2,}|/{2,}|\\+{2,}|"
                 "={2,}|-{2,}|>{2,}|\\n)",
     0.2},
    {kDelimiter, "(-{3,}\\+{3,}|\\+{3,}-{3,}|\\*{3,}/{3,})", 0.4},
    {kDelimiter, "\\n\\s*(-{3,}|>{3,}|\\*{3,}|={3,})\\s*\\n\\s*(-{3,}|>{3,}|\\*{3,}|={3,})?\\s*"
                 "\\n?\\s*(ignore|stop|forget|new|now|system|you\\s+are|disregard)",
     0.6},
    // --- Instructions smuggled into documents and tool output --------------------------------
    {kSmuggling, "\\b(note|message|instructions?|reminder)\\s+(to|for)\\s+(the\\s+)?(ai|"
                 "assistant|llm|model|chatbot|agent|bot)\\b",
     0.6},
    {kSmuggling, "\\b(ai|llm)\\s+(agents?|assistants?|models?)\\s+(reading|processing|"
                 "summari[sz]ing)\\s+this\\b",
     0.7},
    {kSmuggling, "\\bassistant\\s*[,:]\\s*(before|after|when|instead|ignore|skip|do|you)\\b", 0.45},
    {kSmuggling, "<important>", 0.45},
    {kSmuggling, "\\b(do\\s+not|don't|never)\\s+(tell|mention|inform|reveal|show|alert|"
                 "notify)\\s+(this\\s+|it\\s+)?(to\\s+)?(the\\s+)?user\\b",
     0.55},
    {kSmuggling, "\\bwithout\\s+(telling|informing|notifying|alerting)\\s+(the\\s+)?user\\b", 0.5},
    {kSmuggling, "\\b(hidden|secret)\\s+(note|text|instruction|message)\\b|note\\s+cach(é|e)e", 0.45},
    {kSmuggling, "<!--[^>]{0,200}\\b(ignore|run|execute|assistant|ai|llm|agent|do\\s+not|"
                 "instead)\\b",
     0.6},
    {kSmuggling, "(font-size\\s*:\\s*0|display\\s*:\\s*none|color\\s*:\\s*(white|#fff))", 0.45},
    {kSmuggling, "\\b(decode|decrypt|deobfuscate)\\b" GAP "\\b(and|then)\\s+(follow|execute|"
                 "carry\\s+(it\\s+)?out|obey|do|run|perform)\\b",
     0.7},
    {kSmuggling, "\\b(rot13|rot-13|base64|hex)\\b" GAP "\\b(follow|execute|carry\\s+(it\\s+)?out|"
                 "obey|instructions?)\\b",
     0.4},
    {kSmuggling, "\\b(reply|respond|answer|write)\\s+(using|in|with)\\s+(base64|rot13|hex|"
                 "morse|pig\\s+latin|reversed?)\\b",
     0.35},
    {kSmuggling, "\\b(invert|reverse)\\s+the\\s+order\\s+of\\b", 0.3},
    {kSmuggling, "\\b(integrate|incorporate|append|insert|add|include)\\s+(the\\s+)?"
                 "(subsequent|following)\\s+(code|snippet)\\b",
     0.35},
    {kSmuggling, "\\b(subprocess|os\\.system|eval\\(|exec\\(|rm\\s+-rf|curl\\s+[^\\n|]{0,80}\\|"
                 "\\s*(ba)?sh)",
     0.3},
    {kSmuggling, "\\bterminate\\(\\)|\\.kill\\(|shutil\\.rmtree", 0.2},
    // --- Data exfiltration -------------------------------------------------------------------
    {kExfiltration, "!\\[[^\\]\\n]{0,60}\\]\\s*[\\(\\[]", 0.3},
    {kExfiltration, "https?://[^\\s)\\]]{1,200}\\?[^\\s)\\]]{0,100}=\\s*\\[?[A-Z_]{3,}\\]", 0.6},
    {kExfiltration, "\\b(replacing|replace|whereas|where)\\s+\\[[A-Z_]+\\]", 0.5},
    {kExfiltration, "\\b(forward|send|email|transfer|upload|post)\\s+(all\\s+|the\\s+|every\\s+"
                    ")?(last\\s+\\w+\\s+)?(emails|messages|contacts|files|credentials|passwords|"
                    "customer\\s+list|klantenlijst|conversation|chat\\s+history)\\b",
     0.4},
    {kExfiltration, "\\b(call|invoke|run)\\s+(the\\s+)?\\w+\\s+(tool|function)\\b|\\bcall\\s+"
                    "\\w*(transfer|send|delete|pay)\\w*\\b",
     0.3},
    {kExfiltration, "\\blist\\s+(every|all)\\s+(tool|tools|function|api\\s+key)", 0.45},
    // --- Harmful requests in a fictional or "research" frame (PAIR-style) ----------------------
    {kFraming, "\\b(purely|strictly|only)\\s+(for\\s+)?(hypothetical|fictional|educational|"
               "research|investigative|academic)\\b|\\bhypothetical\\s+(scenario|world|"
               "language\\s+model)\\b",
     0.3},
    {kFraming, "\\b(will|would)\\s+never\\s+be\\s+(published|used|shared)\\b", 0.35},
    {kFraming, "\\bfor\\s+the\\s+purpose\\s+of\\s+understanding\\b", 0.25},
    {kFraming, "\\b(without\\s+(being\\s+)?(caught|detected|noticed|alerting|traced)|"
               "not\\s+(be\\s+)?traced\\s+back|undetected|get\\s+away\\s+with)\\b",
     0.4},
    {kFraming, "\\b(imagine|suppose|pretend)\\s+(you\\s+are|you're|that\\s+you)\\b", 0.2},
    {kFraming, "\\b(you\\s+are|you're)\\s+an?\\s+(\\w+\\s+){0,3}(specialist|journalist|"
               "psychologist|hacker|criminal|writer|character|agent|expert)\\b",
     0.15},
    {kFraming, "\\b(defamatory|slavery|enslave|manipulation\\s+techniques|gain\\s+sudo|"
               "unsecured\\s+terminal|meth\\s+recipe|make\\s+drugs?|weapon|explosive|malware|"
               "ransomware|phishing|scam|extinguish|tamper(ing)?\\s+with|harass|"
               "discriminat\\w*|causing\\s+pain|pick\\s+a\\s+(pin\\s+tumbler\\s+)?lock|paywall|"
               "cheat\\s+on)\\b",
     0.25},
    {kFraming, "\\bwrite\\s+(one|a)\\s+(offensive|toxic|unfriendly|racist|hateful)\\b", 0.55},
    // --- Talking about attacks rather than making them (dampens, see scoreInjection) --------
    {kMeta, "\\b(prompt[\\s-]injection|jailbreak(ing)?\\s+(attempt|attack|detection)|injection\\s+"
            "attempt|owasp|red[\\s-]team(ing)?)\\b",
     0.0},
    {kMeta, "\\b(classify|detect|neutrali[sz]e|flag|explain|what\\s+is|quiz|guide|is\\s+it\\s+"
            "likely)\\b" GAP "\\b(attack|injection|jailbreak|role\\s+markers|malicious)\\b",
     0.0},
};

#undef GAP
#undef SGAP

constexpr std::size_t kSignalCount = sizeof(kSignals) / sizeof(kSignals[0]);
static_assert(kSignalCount <= kMaxInjectionSignals);

// Unicode tag characters U+E0000..U+E007F (invisible; "ASCII smuggling") are F3 A0 80..81 xx.
std::size_t countTagCharacters(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i + 3 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xF3 &&
        static_cast<unsigned char>(text[i + 1]) == 0xA0 &&
        (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0x80) {
      ++count;
      i += 3;
    }
  }
  return count;
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

}  // namespace

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
    unsigned flags = kSingleMatch;
    if (!kSignals[i].case_sensitive) {
      flags |= kCaseless;
    }
    specs.push_back(PatternSpec{std::string(kSignals[i].pattern),
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
  for (std::size_t i = 0; i < kSignalCount; ++i) {
    if (!fired.test(i)) {
      continue;
    }
    if (kSignals[i].family == kMeta) {
      meta = true;
      continue;
    }
    keep *= 1.0 - kSignals[i].weight;
    note(kSignals[i].family);
  }
  const std::size_t tags = countTagCharacters(text);
  if (tags >= 4) {
    keep *= 0.1;
    note(kSmuggling);
  }
  if (gibberishSuffix(text)) {
    keep *= 0.35;
    note(kSuffix);
  }
  double score = 1.0 - keep;
  if (meta) {
    // Questions about prompt injection quote attack phrases without making them.
    score *= 0.6;
    note(kMeta);
  }
  verdict.score = std::clamp(score, 0.0, 1.0);
  verdict.flagged = verdict.score >= threshold;
  return verdict;
}

}  // namespace gatehouse::guardrails::detail
