# Builds and runs a small project that uses Mutiny the way a user would (ctest tests consumer.*).
#   MODE=add_subdirectory  the project vendors REPO_DIR with add_subdirectory()
#   MODE=find_package      MAIN_BINARY_DIR is installed (cmake --install) to WORK_DIR/prefix first,
#                          and the project finds it with find_package(mutiny CONFIG)
# Other arguments: SOURCE_DIR (the consumer project), WORK_DIR (scratch, recreated every run),
# REPO_DIR, GENERATOR, CXX_COMPILER, BUILD_TYPE, WITH_OPENCL, EXPECTED_VERSION.
cmake_minimum_required(VERSION 3.21)

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "consumer ${MODE}: ${step} failed (${rc}):\n  ${cmd}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(build "${WORK_DIR}/build")
set(configure_args -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")

if(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DMUTINY_SOURCE_DIR=${REPO_DIR}" "-DMUTINY_WITH_OPENCL=${WITH_OPENCL}")
elseif(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  run("install" "${CMAKE_COMMAND}" --install "${MAIN_BINARY_DIR}" --prefix "${prefix}")
  foreach(f include/mutiny/mutiny.hpp include/mutiny/version.hpp
            include/mutiny-single/mutiny/mutiny.hpp
            share/cmake/mutiny/mutinyConfig.cmake share/cmake/mutiny/mutinyConfigVersion.cmake
            share/cmake/mutiny/mutinyTargets.cmake lib/libmutiny.a)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "consumer find_package: install did not produce ${f}")
    endif()
  endforeach()
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
else()
  message(FATAL_ERROR "MODE must be add_subdirectory or find_package, not '${MODE}'")
endif()

run("configure" "${CMAKE_COMMAND}" ${configure_args})
if(MODE STREQUAL "find_package")
  string(FIND "${out}" "found mutiny ${EXPECTED_VERSION} in ${prefix}/" pos)
endif()
if(MODE STREQUAL "find_package" AND pos EQUAL -1)
  message(FATAL_ERROR "consumer find_package: mutiny was not found in the test prefix ${prefix}:\n${out}")
endif()
run("build" "${CMAKE_COMMAND}" --build "${build}")
run("run" "${build}/consumer")
string(STRIP "${out}" printed)
if(NOT printed STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "consumer ${MODE}: printed '${printed}', expected '${EXPECTED_VERSION}'")
endif()
message(STATUS "consumer ${MODE}: built and ran, printed ${printed}")

# The implementation defined twice, or never: the link fails and the linker's message names the fix.
if(MODE STREQUAL "find_package")
  foreach(target twice never)
    execute_process(COMMAND "${CMAKE_COMMAND}" --build "${build}" --target ${target}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0)
      message(FATAL_ERROR "consumer find_package: target '${target}' linked, but it defines the implementation "
                          "${target} (expected a link error)")
    endif()
    if(target STREQUAL "twice")
      set(expected "multiple definition of [`'\"]?mutiny::link_check::define_MUTINY_IMPLEMENTATION_in_one_source_file_or_link_mutiny_compiled")
    else()
      set(expected "undefined reference to [`'\"]?mutiny::link_check::define_MUTINY_IMPLEMENTATION_in_one_source_file_or_link_mutiny_compiled")
    endif()
    string(REGEX MATCH "${expected}" found "${out}")
    if(NOT found)
      message(FATAL_ERROR "consumer find_package: target '${target}' failed, but the output does not name the fix:\n${out}")
    endif()
    message(STATUS "consumer find_package: '${target}' fails to link, naming the fix")
  endforeach()
endif()
