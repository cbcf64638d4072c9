# e2qcow_compile_et(<target-var> <file.et>): run compile_et on a com_err
# table and return the generated source in <target-var>.  compile_et writes
# into its working directory, so it runs in the binary dir.
function(e2qcow_compile_et out_var et_file)
  get_filename_component(base ${et_file} NAME_WE)
  set(c ${CMAKE_CURRENT_BINARY_DIR}/${base}.c)
  set(h ${CMAKE_CURRENT_BINARY_DIR}/${base}.h)
  add_custom_command(OUTPUT ${c} ${h}
    COMMAND ${COMPILE_ET} ${CMAKE_CURRENT_SOURCE_DIR}/${et_file}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${et_file}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
    COMMENT "compile_et ${et_file}")
  set(${out_var} ${c} PARENT_SCOPE)
endfunction()
