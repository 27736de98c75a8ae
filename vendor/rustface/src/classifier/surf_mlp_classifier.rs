// This file is part of the open-source port of SeetaFace engine, which originally includes three modules:
//      SeetaFace Detection, SeetaFace Alignment, and SeetaFace Identification.
//
// This file is part of the SeetaFace Detection module, containing codes implementing the face detection method described in the following paper:
//
//      Funnel-structured cascade for multi-view face detection with alignment awareness,
//      Shuzhe Wu, Meina Kan, Zhenliang He, Shiguang Shan, Xilin Chen.
//      In Neurocomputing (under review)
//
// Copyright (C) 2016, Visual Information Processing and Learning (VIPL) group,
// Institute of Computing Technology, Chinese Academy of Sciences, Beijing, China.
//
// As an open-source face recognition engine: you can redistribute SeetaFace source codes
// and/or modify it under the terms of the BSD 2-Clause License.
//
// You should have received a copy of the BSD 2-Clause License along with the software.
// If not, see < https://opensource.org/licenses/BSD-2-Clause>.

use crate::math;
use super::Score;
use crate::feat::SurfMlpFeatureMap;
use crate::Rectangle;
use std::mem;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

struct TwoWayBuffer {
    input: Vec<f32>,
    output: Vec<f32>,
}

impl TwoWayBuffer {
    #[inline]
    fn new() -> Self {
        TwoWayBuffer {
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    #[inline]
    fn get_buffers(&mut self) -> (&mut Vec<f32>, &mut Vec<f32>) {
        (&mut self.input, &mut self.output)
    }

    #[inline]
    fn get_input(&mut self) -> &mut Vec<f32> {
        &mut self.input
    }

    #[inline]
    fn swap(&mut self) {
        mem::swap(&mut self.input, &mut self.output);
    }
}

pub struct SurfMlpBuffers {
    input: Vec<f32>,
    output: Vec<f32>,
    layers: TwoWayBuffer,
}

impl SurfMlpBuffers {
    #[inline]
    pub fn new() -> Self {
        SurfMlpBuffers {
            input: Vec::new(),
            output: Vec::new(),
            layers: TwoWayBuffer::new(),
        }
    }
}

#[derive(Clone)]
pub struct SurfMlpClassifier {
    feature_ids: Vec<i32>,
    thresh: f32,
    layers: Vec<Layer>,
}

impl SurfMlpClassifier {
    #[inline]
    pub fn new() -> Self {
        SurfMlpClassifier {
            feature_ids: Vec::new(),
            thresh: 0.0,
            layers: Vec::new(),
        }
    }

    #[inline]
    pub fn add_feature_id(&mut self, feature_id: i32) {
        self.feature_ids.push(feature_id);
    }

    #[inline]
    pub fn set_threshold(&mut self, thresh: f32) {
        self.thresh = thresh;
    }

    pub fn add_layer(
        &mut self,
        input_dim: usize,
        output_dim: usize,
        weights: Vec<f32>,
        biases: Vec<f32>,
    ) {
        self.layers.push(Layer::new(input_dim, output_dim, weights, biases, Self::relu))
    }

    pub fn add_output_layer(
        &mut self,
        input_dim: usize,
        output_dim: usize,
        weights: Vec<f32>,
        biases: Vec<f32>,
    ) {
        self.layers.push(Layer::new(input_dim, output_dim, weights, biases, Self::sigmoid))
    }

    #[inline]
    fn relu(x: f32) -> f32 {
        if x > 0.0 {
            x
        } else {
            0.0
        }
    }

    #[inline]
    fn sigmoid(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    fn compute_internal(&self, bufs: &mut SurfMlpBuffers) {
        bufs.layers
            .get_input()
            .resize(self.layers[0].output_size(), 0.0);
        self.layers[0].compute(&bufs.input, bufs.layers.get_input());

        for i in 1..(self.layers.len() - 1) {
            {
                let layer = &self.layers[i];
                let (input_buf, output_buf) = bufs.layers.get_buffers();
                output_buf.resize(layer.output_size(), 0.0);
                layer.compute(input_buf, output_buf);
            }
            bufs.layers.swap();
        }

        let last_layer = &self.layers[self.layers.len() - 1];
        last_layer.compute(bufs.layers.get_input(), &mut bufs.output);
    }
}

#[derive(Clone)]
struct Layer {
    input_dim: usize,
    output_dim: usize,
    weights: Vec<f32>,
    /// The kiosk's patch: `weights` of each group of `GROUP` outputs interleaved by input
    /// (input 0 of outputs 0-3, input 1 of outputs 0-3, ...), for `compute`.
    grouped_weights: Vec<f32>,
    biases: Vec<f32>,
    act_func: fn(f32) -> f32,
}

/// Outputs computed together (see `Layer::compute`).
const GROUP: usize = 4;

impl Layer {
    fn new(input_dim: usize, output_dim: usize, weights: Vec<f32>, biases: Vec<f32>, act_func: fn(f32) -> f32) -> Self {
        let mut grouped_weights = Vec::new();
        if input_dim > 0 {
            let rows = weights.len() / input_dim;
            for group in weights[..rows / GROUP * GROUP * input_dim].chunks_exact(GROUP * input_dim) {
                for input in 0..input_dim {
                    grouped_weights.extend((0..GROUP).map(|k| group[k * input_dim + input]));
                }
            }
        }
        Layer { input_dim, output_dim, weights, grouped_weights, biases, act_func }
    }

    /// The kiosk's patch (PATCHES.md): the outputs four at a time. Each output's sum still
    /// runs over the inputs in order, from the same start as `vector_inner_product`'s, so each
    /// is the same to the bit; but four independent sums advance together, one input at a
    /// time, from weights laid out for it (`grouped_weights`): the compiler makes each step one
    /// vector multiplication and addition, where upstream's one sum at a time waited on each
    /// addition before the next.
    #[cfg(not(feature = "rayon"))]
    fn compute(&self, input: &[f32], output: &mut [f32]) {
        let dim = self.input_dim;
        // A zero dimension panics in `chunks` below, as upstream's did.
        let rows = self.weights.len().checked_div(dim).unwrap_or(0).min(self.biases.len()).min(output.len());
        let grouped = rows / GROUP * GROUP;
        let (output_grouped, output_rest) = output.split_at_mut(grouped);
        let groups = self
            .grouped_weights
            .chunks_exact(GROUP * dim.max(1))
            .zip(self.biases.chunks_exact(GROUP))
            .zip(output_grouped.chunks_exact_mut(GROUP));
        for ((weights, biases), output) in groups {
            let mut sums = [-0.0f32; GROUP];
            let (by_input, _) = weights.as_chunks::<GROUP>();
            for (&x, weights) in input.iter().zip(by_input) {
                for k in 0..GROUP {
                    sums[k] += x * weights[k];
                }
            }
            for ((output, sum), bias) in output.iter_mut().zip(sums).zip(biases) {
                *output = (self.act_func)(sum + bias);
            }
        }
        for ((weights, bias), output) in self.weights[grouped * dim..]
            .chunks(dim)
            .zip(&self.biases[grouped..])
            .zip(output_rest)
        {
            let x = math::vector_inner_product(input, weights) + bias;
            *output = (self.act_func)(x);
        }
    }

    #[cfg(any(feature = "rayon", test))]
    fn compute_upstream(&self, input: &[f32], output: &mut [f32]) {
        #[cfg(feature = "rayon")]
        let it = self.weights.par_chunks(self.input_dim);

        #[cfg(not(feature = "rayon"))]
        let it = self.weights.chunks(self.input_dim);

        it
            .zip(&self.biases)
            .zip(output)
            .for_each(|((weights, bias), output)| {
                let x = math::vector_inner_product(input, weights) + bias;
                *output = (self.act_func)(x);
            });
    }

    #[cfg(feature = "rayon")]
    fn compute(&self, input: &[f32], output: &mut [f32]) {
        self.compute_upstream(input, output)
    }

    #[inline]
    fn input_size(&self) -> usize {
        self.input_dim
    }

    #[inline]
    fn output_size(&self) -> usize {
        self.output_dim
    }
}

impl SurfMlpClassifier {
    pub fn classify(&self, output: Option<&mut Vec<f32>>, bufs: &mut SurfMlpBuffers, feature_map: &mut SurfMlpFeatureMap, roi: Rectangle) -> Score {
        let input_layer = self.layers.get(0).expect("No layers");
        bufs.input.resize(input_layer.input_size(), 0.0);

        let num_layers = self.layers.len();
        let output_layer = self.layers.get(num_layers - 1).expect("No layers");
        bufs.output.resize(output_layer.output_size(), 0.0);

        {
            let mut dest = bufs.input.as_mut_ptr();
            unsafe {
                for &feature_id in &self.feature_ids[..] {
                    feature_map.get_feature_vector((feature_id - 1) as usize, dest, roi);
                    let offset = feature_map.get_feature_vector_dim(feature_id as usize);
                    dest = dest.offset(offset as isize);
                }
            }
        }

        self.compute_internal(bufs);

        let score = *bufs.output.get(0).expect("No score");
        let score = Score {
            positive: score > self.thresh,
            score,
        };

        if let Some(output) = output {
            output.clear();
            output.extend_from_slice(&bufs.output);
        }

        score
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(x: f32) -> f32 {
        x
    }

    #[test]
    fn layers_equal_upstreams_to_the_bit() {
        let mut state = 12345u32;
        let mut next = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1 << 24) as f32 * 2.0 - 1.0
        };
        for &(input_dim, output_dim) in &[(1, 1), (1, 4), (3, 4), (7, 5), (64, 13), (256, 100), (2, 9)] {
            for act_func in [identity as fn(f32) -> f32, SurfMlpClassifier::relu, SurfMlpClassifier::sigmoid] {
                // Every other layer's weights positive: with an input of -0.0s, every product is
                // -0.0 and the sums' start decides the sign of the result.
                let sign = if output_dim % 2 == 0 { 1.0 } else { -1.0 };
                let weights: Vec<f32> = (0..input_dim * output_dim)
                    .map(|i| if i % 2 == 0 { next() * 1e3 } else { (next() * 1e3).abs() * sign })
                    .collect();
                let biases: Vec<f32> = (0..output_dim).map(|i| if i % 3 == 0 { -0.0 } else { next() }).collect();
                let layer = Layer::new(input_dim, output_dim, weights, biases, act_func);
                let mut inputs = vec![(0..input_dim).map(|_| next()).collect::<Vec<f32>>()];
                inputs.push(vec![-0.0; input_dim]);
                inputs.push(vec![0.0; input_dim]);
                for input in &inputs {
                    let (mut fast, mut upstream) = (vec![9.0; output_dim], vec![9.0; output_dim]);
                    layer.compute(input, &mut fast);
                    layer.compute_upstream(input, &mut upstream);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&fast), bits(&upstream), "{}x{}", input_dim, output_dim);
                }
            }
        }
    }
}
