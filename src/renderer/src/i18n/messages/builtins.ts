// Names and descriptions of what ships with the workbench: the built-in data sets (ids from
// src/main/data/builtins.ts) and the seed templates (ids from src/shared/examples.ts). The English
// entries equal the back end's text (builtins.test.ts checks it), so a translation is shown only
// for the text it was written for; see builtinName/builtinDescription in ../builtins.ts.
export default {
  en: {
    'builtin.dataset.mnist.name': 'MNIST',
    'builtin.dataset.mnist.description': 'Handwritten digits 28x28, 60 000 training and 10 000 test images; pixels scaled to 0–1 (divided by 255).',
    'builtin.dataset.mnist-raw.name': 'MNIST (raw pixels)',
    'builtin.dataset.mnist-raw.description': 'MNIST with unscaled 0–255 pixels, as seed 000 trains on it.',
    'builtin.dataset.mnist-raw-6k.name': 'MNIST 6k (raw pixels)',
    'builtin.dataset.mnist-raw-6k.description': '6 000 training images drawn at random (seed 10) from MNIST, raw 0–255 pixels, with the full 10 000 test images (seed 000, experiment S2).',
    'builtin.dataset.breast-cancer.name': 'Breast cancer (Wisconsin)',
    'builtin.dataset.breast-cancer.description': '569 tumours, 30 raw unscaled measurements, malignant (0) or benign (1); stratified 80/20 split (seed 42).',
    'builtin.dataset.iris.name': 'Iris',
    'builtin.dataset.iris.description': '150 flowers, 4 measurements in cm, three species; stratified 80/20 split (seed 42).',
    'builtin.dataset.diabetes.name': 'Diabetes (regression)',
    'builtin.dataset.diabetes.description': '442 patients, 10 baseline variables standardised on the training rows, disease progression after one year as the target; 80/20 split (seed 42).',
    'builtin.dataset.linear-2x.name': 'y = 2x',
    'builtin.dataset.linear-2x.description': 'Seed 004: train x = 1, 2, 3, 4 with y = 2x; test x = 5, 6 with y = 10, 12.',
    'builtin.dataset.xor.name': 'XOR',
    'builtin.dataset.xor.description': 'The four rows of the XOR truth table; the test split is the same four rows (XOR has no others).',
    'builtin.dataset.circles.name': 'Circles',
    'builtin.dataset.circles.description': 'Two noisy concentric circles (radius 1 and 0.5, noise 0.05), 500 points each; stratified 80/20 split (seed 1).',
    'builtin.dataset.spirals.name': 'Spirals',
    'builtin.dataset.spirals.description': 'Two interleaved spirals (1.5 turns, noise 0.02), 500 points each; stratified 80/20 split (seed 3).',
    'builtin.dataset.blobs.name': 'Blobs',
    'builtin.dataset.blobs.description': 'Three Gaussian blobs in 2-D (centres (-2,-2), (2,-2), (0,2), std 0.6), 200 points each; stratified 80/20 split (seed 5).',
    'builtin.dataset.random-binary.name': 'Random binary (noise)',
    'builtin.dataset.random-binary.description':
      'Seed 002: 1 000 x 100 uniform random inputs with random 0/1 labels, plus 100 held-out rows drawn the same way. The labels are noise: a model can memorise the training rows but not beat 0.5 on the held-out ones.',
    'builtin.dataset.sine-next.name': 'Sine next value',
    'builtin.dataset.sine-next.description':
      'Next-value regression on 2 000 windows of 20 steps (shape [20, 1]) of a sum of one or two sines (random periods 5–50 steps and phases, noise 0.02); the target is the value at step 21. 80/20 split (seed 11).',
    'builtin.dataset.running-sum.name': 'Running sum sign',
    'builtin.dataset.running-sum.description':
      'Sequence classification on 2 000 sequences of 20 steps (shape [20, 1]) drawn uniformly from [-1, 1]: is their running sum above zero at the last step? Balanced classes; stratified 80/20 split (seed 12).',
    'builtin.dataset.tokens.name': 'Topic tokens',
    'builtin.dataset.tokens.description':
      'Synthetic text classification for Embedding: 2 000 sentences of 16 integer token ids (vocabulary 50, id 0 = padding at the end; no scaling), each with 2–4 words of its topic (sports, weather, food or music), at most one word of another topic and shared filler words. Stratified 80/20 split (seed 13).',

    'builtin.example.S1.title': 'Breast cancer, one sigmoid hidden layer, 30 000 SGD steps',
    'builtin.example.S1.description':
      'The hand-written network of seed 000 on the Wisconsin breast-cancer table (569 rows, 30 raw, unscaled features, 20% held out): 20 sigmoid units, a sigmoid output, every weight drawn from uniform[-1, 1], 30 000 steps of SGD on random batches of 100 with the step size decaying as lr0 / (1 + 0.001 n).',
    'builtin.example.S2.title': 'MNIST 6 000 raw images, 300 sigmoid units, 20 000 SGD steps',
    'builtin.example.S2.description':
      'Seed 000 on 6 000 random MNIST training images with raw 0–255 pixels, tested on the full 10 000: 300 sigmoid units and a softmax output, weights uniform[-1, 1], SGD from 0.1 decaying as lr0 / (1 + 0.001 n) over 20 000 steps of 100 random images.',
    'builtin.example.S3.title': 'MNIST with Dropout, Keras SGD, 100 epochs',
    'builtin.example.S3.description':
      'The Keras model at the end of seed 000: Dropout(0.2) on the 784 raw pixels, Dense(300) with a sigmoid Activation, Dropout(0.2), Dense(10) with softmax; SGD lr 0.01 with Keras decay 1e-6 per step, batches of 100, 100 epochs over all 60 000 images. Long: a benchmark rather than a quick check.',
    'builtin.example.S4.title': 'MNIST, Dense(512, relu), plain SGD, 5 epochs',
    'builtin.example.S4.description':
      "Seed 001's first Keras network: pixels scaled to [0, 1], Dense(512, relu) then Dense(10, softmax), optimizer 'sgd' (lr 0.01), batches of 128, 5 epochs; the seed reports test accuracy 0.9133.",
    'builtin.example.S5.title': 'MNIST, 32 relu units, RMSprop, 2 epochs',
    'builtin.example.S5.description':
      "Seed 003's classifier: pixels / 255, Dense(32) → Activation(relu) → Dense(10) → Activation(softmax), RMSprop lr 0.001, rho 0.9, epsilon 1e-8, batches of 32, 2 epochs. Reported: epoch 1 loss 0.3506 acc 0.9025, epoch 2 loss 0.1995 acc 0.9421, test loss 0.1725 acc 0.9489.",
    'builtin.example.S6.title': 'Random labels: a network memorises noise',
    'builtin.example.S6.description':
      "Seed 002's first Keras model on 1 000 random 100-dimensional inputs with random 0/1 labels: Dense(32) → relu → Dense(1) → sigmoid, RMSprop, batches of 32, 10 epochs. The labels are noise, so training accuracy climbs while held-out accuracy stays near 0.5.",
    'builtin.example.S7.title': 'y = 2x with three relu units',
    'builtin.example.S7.description':
      "Seed 004's first Keras model: x = [1, 2, 3, 4], y = 2x, Dense(3, relu) on a 1-value input then Dense(1, linear); 6 + 4 = 10 parameters. SGD lr 0.01, mean squared error, one batch of 4, 100 epochs; predict([5, 6]) should come near [10, 12]. The seed's hand-picked initial weights are in SEED_004_INITIAL_WEIGHTS (with them two of the three relu units start dead).",
    'builtin.example.T1.title': "LeNet-5 on MNIST",
    'builtin.example.T1.description':
      "LeCun’s classic convolutional network on 28×28×1 MNIST digits (relu and average pooling, as it is usually rebuilt today): Conv2D(6, 5×5, same) → AveragePooling2D → Conv2D(16, 5×5) → AveragePooling2D → Flatten → Dense(120) → Dense(84) → Dense(10, softmax); 61 706 parameters. Shows how convolutions and pooling shrink an image into features: 28×28 → 14×14 → 10×10 → 5×5. Adam, 700 steps of 64 random images (about 45 000 images, three quarters of one epoch).",
    'builtin.example.T2.title': "Residual MLP with two skips (breast cancer)",
    'builtin.example.T2.description':
      "A graph, not a stack: BatchNormalization scales the 30 raw measurements, then Dense(32) → Dense(32) → Add (a skip around the second Dense) → Dense(32) → Add (a skip around the third) → Dense(1, sigmoid). Each Add sums a layer’s input with its output, so a block only learns a correction to what flows past it: the idea behind ResNets. Adam, 40 epochs on the breast-cancer table.",
    'builtin.example.T3.title': "A ResNet-style block on MNIST",
    'builtin.example.T3.description':
      "One residual block as in ResNet: a strided Conv2D(16, 3×3) and max pooling make 7×7×16 features; the block runs Conv2D(16, 3×3, relu) → Conv2D(16, 3×3, linear), adds the block’s input back (Add) and only then applies relu; Conv2D(32, 3×3) and GlobalAveragePooling2D (one average per channel instead of Flatten) feed Dense(10, softmax). Shows the identity skip and global pooling. Adam, 600 steps of 64 images.",
    'builtin.example.T4.title': "1-D CNN on the running-sum sequences",
    'builtin.example.T4.description':
      "Convolutions along time on [20, 1] sequences: Conv1D(16, 3) → MaxPooling1D(2) → Conv1D(16, 3) → GlobalAveragePooling1D → Dense(1, sigmoid). Each filter looks at a few neighbouring steps; the global average pools them over the whole sequence, which is what \"is the sum above zero\" needs. Adam, 30 epochs on running-sum.",
    'builtin.example.T5.title': "LSTM on the running-sum sequences",
    'builtin.example.T5.description':
      "A recurrent network reads the [20, 1] sequence one step at a time: LSTM(16) keeps a state that carries the running total from step to step, and Dense(1, sigmoid) reads the last state: is the sum above zero? Adam, 6 epochs on running-sum.",
    'builtin.example.T6.title': "Embedding + pooling text classifier (topic tokens)",
    'builtin.example.T6.description':
      "Text as integer token ids: Embedding(50 → 16) turns each of the 16 ids into a learned vector, GlobalAveragePooling1D averages the vectors of a sentence (word order is ignored: a bag of words), Dense(4, softmax) names the topic. Shows that Embedding’s input_dim must cover the vocabulary (50 ids, 0 = padding). Adam, 10 epochs on tokens."
  },
  'zh-CN': {
    'builtin.dataset.mnist.name': 'MNIST 手写数字',
    'builtin.dataset.mnist.description': '28×28 的手写数字，训练图像 60 000 张、测试图像 10 000 张；像素缩放到 0–1（除以 255）。',
    'builtin.dataset.mnist-raw.name': 'MNIST（原始像素）',
    'builtin.dataset.mnist-raw.description': '像素未缩放（0–255）的 MNIST，与种子文档 000 的训练数据相同。',
    'builtin.dataset.mnist-raw-6k.name': 'MNIST 6k（原始像素）',
    'builtin.dataset.mnist-raw-6k.description': '从 MNIST 随机抽取（种子 10）的 6 000 张训练图像，原始 0–255 像素，测试集为完整的 10 000 张（种子文档 000，实验 S2）。',
    'builtin.dataset.breast-cancer.name': '乳腺癌（威斯康星）',
    'builtin.dataset.breast-cancer.description': '569 个肿瘤样本，30 项未缩放的原始测量值，恶性（0）或良性（1）；分层 80/20 划分（种子 42）。',
    'builtin.dataset.iris.name': '鸢尾花',
    'builtin.dataset.iris.description': '150 朵花，4 项以厘米计的测量值，三个品种；分层 80/20 划分（种子 42）。',
    'builtin.dataset.diabetes.name': '糖尿病（回归）',
    'builtin.dataset.diabetes.description': '442 名患者，10 项基线变量（按训练行标准化），目标为一年后的病情进展；80/20 划分（种子 42）。',
    'builtin.dataset.linear-2x.name': 'y = 2x',
    'builtin.dataset.linear-2x.description': '种子文档 004：训练 x = 1, 2, 3, 4，y = 2x；测试 x = 5, 6，y = 10, 12。',
    'builtin.dataset.xor.name': '异或（XOR）',
    'builtin.dataset.xor.description': 'XOR 真值表的四行；测试集就是这四行（XOR 没有其他样本）。',
    'builtin.dataset.circles.name': '同心圆',
    'builtin.dataset.circles.description': '两个带噪声的同心圆（半径 1 和 0.5，噪声 0.05），各 500 个点；分层 80/20 划分（种子 1）。',
    'builtin.dataset.spirals.name': '双螺旋',
    'builtin.dataset.spirals.description': '两条交错的螺旋线（1.5 圈，噪声 0.02），各 500 个点；分层 80/20 划分（种子 3）。',
    'builtin.dataset.blobs.name': '高斯团簇',
    'builtin.dataset.blobs.description': '二维平面上的三个高斯团簇（中心 (-2,-2)、(2,-2)、(0,2)，标准差 0.6），各 200 个点；分层 80/20 划分（种子 5）。',
    'builtin.dataset.random-binary.name': '随机二分类（噪声）',
    'builtin.dataset.random-binary.description':
      '种子文档 002：1 000 × 100 的均匀随机输入，标签为随机的 0/1，另有 100 行按同样方式生成的留出数据。标签是噪声：模型能记住训练行，但在留出行上无法超过 0.5。',
    'builtin.dataset.sine-next.name': '正弦波下一值',
    'builtin.dataset.sine-next.description':
      '下一值回归：2 000 个 20 步的窗口（形状 [20, 1]），取自一个或两个正弦波之和（周期随机取 5–50 步，相位随机，噪声 0.02）；目标是第 21 步的值。80/20 划分（种子 11）。',
    'builtin.dataset.running-sum.name': '累加和正负',
    'builtin.dataset.running-sum.description':
      '序列分类：2 000 个 20 步的序列（形状 [20, 1]），每步取自 [-1, 1] 上的均匀分布；最后一步的累加和是否大于零？两类各占一半；分层 80/20 划分（种子 12）。',
    'builtin.dataset.tokens.name': '主题词元',
    'builtin.dataset.tokens.description':
      '供 Embedding 使用的合成文本分类：2 000 个句子，每句 16 个整数词元 id（词表大小 50，id 0 为末尾填充；不做缩放），每句含 2–4 个本主题的词（体育、天气、食物或音乐）、至多一个其他主题的词，其余为各类共用的填充词。分层 80/20 划分（种子 13）。',

    'builtin.example.S1.title': '乳腺癌：一个 sigmoid 隐藏层，SGD 训练 30 000 步',
    'builtin.example.S1.description':
      '种子文档 000 手写的网络，用于威斯康星乳腺癌表格（569 行，30 个未缩放的原始特征，留出 20%）：20 个 sigmoid 单元和一个 sigmoid 输出，所有权重取自 uniform[-1, 1]；在随机的 100 行批次上做 30 000 步 SGD，步长按 lr0 / (1 + 0.001 n) 衰减。',
    'builtin.example.S2.title': 'MNIST 6 000 张原始图像：300 个 sigmoid 单元，SGD 训练 20 000 步',
    'builtin.example.S2.description':
      '种子文档 000：在 6 000 张随机抽取的 MNIST 训练图像（原始 0–255 像素）上训练，在完整的 10 000 张上测试；300 个 sigmoid 单元和 softmax 输出，权重取自 uniform[-1, 1]；SGD 从 0.1 起按 lr0 / (1 + 0.001 n) 衰减，共 20 000 步，每步 100 张随机图像。',
    'builtin.example.S3.title': 'MNIST 加 Dropout：Keras SGD，100 轮',
    'builtin.example.S3.description':
      '种子文档 000 末尾的 Keras 模型：784 个原始像素上的 Dropout(0.2)，Dense(300) 加 sigmoid 激活，Dropout(0.2)，Dense(10) 加 softmax；SGD 学习率 0.01，Keras 每步衰减 1e-6，批大小 100，在全部 60 000 张图像上训练 100 轮。耗时较长：适合做基准，不适合快速检查。',
    'builtin.example.S4.title': 'MNIST：Dense(512, relu)，普通 SGD，5 轮',
    'builtin.example.S4.description':
      '种子文档 001 的第一个 Keras 网络：像素缩放到 [0, 1]，Dense(512, relu) 后接 Dense(10, softmax)，优化器 sgd（学习率 0.01），批大小 128，5 轮；文档报告的测试准确率为 0.9133。',
    'builtin.example.S5.title': 'MNIST：32 个 relu 单元，RMSprop，2 轮',
    'builtin.example.S5.description':
      '种子文档 003 的分类器：像素除以 255，Dense(32) → Activation(relu) → Dense(10) → Activation(softmax)，RMSprop 学习率 0.001、rho 0.9、epsilon 1e-8，批大小 32，2 轮。文档报告：第 1 轮 loss 0.3506 acc 0.9025，第 2 轮 loss 0.1995 acc 0.9421，测试 loss 0.1725 acc 0.9489。',
    'builtin.example.S6.title': '随机标签：网络死记噪声',
    'builtin.example.S6.description':
      '种子文档 002 的第一个 Keras 模型，输入为 1 000 个随机的 100 维向量，标签为随机的 0/1：Dense(32) → relu → Dense(1) → sigmoid，RMSprop，批大小 32，10 轮。标签是噪声，所以训练准确率上升，而留出准确率停在 0.5 附近。',
    'builtin.example.S7.title': 'y = 2x：三个 relu 单元',
    'builtin.example.S7.description':
      '种子文档 004 的第一个 Keras 模型：x = [1, 2, 3, 4]，y = 2x；单值输入上的 Dense(3, relu) 后接 Dense(1, linear)，共 6 + 4 = 10 个参数。SGD 学习率 0.01，均方误差，一个 4 行的批次，100 轮；predict([5, 6]) 应接近 [10, 12]。文档手选的初始权重见 SEED_004_INITIAL_WEIGHTS（用它们时三个 relu 单元中有两个一开始就是死的）。',
    'builtin.example.T1.title': "MNIST 上的 LeNet-5",
    'builtin.example.T1.description':
      "LeCun 的经典卷积网络，用于 28×28×1 的 MNIST 手写数字（按如今常见的复现方式使用 relu 和平均池化）：Conv2D(6, 5×5, same) → AveragePooling2D → Conv2D(16, 5×5) → AveragePooling2D → Flatten → Dense(120) → Dense(84) → Dense(10, softmax)；共 61 706 个参数。展示卷积和池化如何把图像压缩成特征：28×28 → 14×14 → 10×10 → 5×5。Adam，700 步，每步 64 张随机图像（约 45 000 张，相当于一轮的四分之三）。",
    'builtin.example.T2.title': "带两条跳跃连接的残差 MLP（乳腺癌）",
    'builtin.example.T2.description':
      "是图而不是堆叠：BatchNormalization 缩放 30 项原始测量值，然后 Dense(32) → Dense(32) → Add（绕过第二个 Dense 的跳跃连接）→ Dense(32) → Add（绕过第三个的跳跃连接）→ Dense(1, sigmoid)。每个 Add 把一层的输入与输出相加，因此一个块只需学习对流过它的信号的修正：这就是 ResNet 背后的思想。Adam，在乳腺癌表格上训练 40 轮。",
    'builtin.example.T3.title': "MNIST 上的 ResNet 式残差块",
    'builtin.example.T3.description':
      "一个 ResNet 式的残差块：带步长的 Conv2D(16, 3×3) 和最大池化得到 7×7×16 的特征；块内依次是 Conv2D(16, 3×3, relu) → Conv2D(16, 3×3, linear)，再把块的输入加回来（Add），之后才做 relu；随后 Conv2D(32, 3×3) 和 GlobalAveragePooling2D（每个通道取一个平均值，代替 Flatten）接到 Dense(10, softmax)。展示恒等跳跃连接和全局池化。Adam，600 步，每步 64 张图像。",
    'builtin.example.T4.title': "累加和序列上的一维 CNN",
    'builtin.example.T4.description':
      "沿时间轴在 [20, 1] 序列上做卷积：Conv1D(16, 3) → MaxPooling1D(2) → Conv1D(16, 3) → GlobalAveragePooling1D → Dense(1, sigmoid)。每个滤波器只看相邻的几步；全局平均池化把它们汇总到整个序列上，这正是判断“总和是否大于零”所需要的。Adam，在 running-sum 上训练 30 轮。",
    'builtin.example.T5.title': "累加和序列上的 LSTM",
    'builtin.example.T5.description':
      "循环网络逐步读取 [20, 1] 序列：LSTM(16) 保持一个状态，把累加和一步步传下去，Dense(1, sigmoid) 读取最后的状态：总和是否大于零？Adam，在 running-sum 上训练 6 轮。",
    'builtin.example.T6.title': "Embedding + 池化的文本分类器（主题词元）",
    'builtin.example.T6.description':
      "把文本表示为整数词元 id：Embedding(50 → 16) 把 16 个 id 中的每一个变成一个学习得到的向量，GlobalAveragePooling1D 对一句话的向量取平均（忽略词序：词袋模型），Dense(4, softmax) 给出主题。展示 Embedding 的 input_dim 必须覆盖整个词表（50 个 id，0 为填充）。Adam，在 tokens 上训练 10 轮。"
  }
}
