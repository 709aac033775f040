# Guardrails accuracy and speed. Include from bench/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/CMakeLists-guardrails.cmake)
# Run: build/bench/guardrails_eval            (scores on ../shared/datasets, see its header)
#      build/bench/guardrails_benchmark       (Google Benchmark: MB/s and per-call latency)
set(GATEHOUSE_DATASETS_DIR "${PROJECT_SOURCE_DIR}/../shared/datasets"
    CACHE PATH "Labelled guardrail development sets")

add_executable(guardrails_eval ${CMAKE_CURRENT_LIST_DIR}/guardrails_eval.cc)
target_link_libraries(guardrails_eval PRIVATE gatehouse_guardrails Boost::json)
target_compile_definitions(guardrails_eval
  PRIVATE GATEHOUSE_DATASETS_DIR="${GATEHOUSE_DATASETS_DIR}")

add_executable(guardrails_benchmark ${CMAKE_CURRENT_LIST_DIR}/guardrails_benchmark.cc)
target_link_libraries(guardrails_benchmark PRIVATE gatehouse_guardrails benchmark::benchmark)
